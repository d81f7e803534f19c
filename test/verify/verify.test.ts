/**
 * The verifier against a real HTTPS JWKS server on 127.0.0.1: the happy path per
 * vendor profile, the rejection matrix, JWKS caching / rotation / unknown kid.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportSPKI, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import {
  createDualSubjectVerifier,
  httpStatusFor,
  verifyDualSubjectToken,
  type VerifyOptions,
} from '../../src/verify/index.js';
import { makeSigningKey, now, sign, startJwksServer, unsecuredJwt, type JwksServer, type SigningKey } from './helpers.js';
import { malleatedCopies } from '../helpers/malleate.js';

const AUDIENCE = 'https://api.example.test';
const HUMAN = { sub: 'user-42', email: 'alice@example.test', name: 'Alice Example' };

let server: JwksServer;
let key: SigningKey;
let other: SigningKey;
let issuer: string;

beforeAll(async () => {
  key = await makeSigningKey('RS256');
  other = await makeSigningKey('RS256');
  server = await startJwksServer([key.publicJwk]);
  issuer = `${server.origin}/realms/test`;
});
afterAll(async () => server?.close());

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { vendor: 'keycloak', issuer, audience: AUDIENCE, jwksUri: server.jwksUri, ca: server.caCert, ...extra } as VerifyOptions;
}

function keycloakClaims(extra: JWTPayload = {}): JWTPayload {
  const t = now();
  return {
    iss: issuer,
    aud: AUDIENCE,
    sub: 'service-account-uuid',
    azp: 'finance-agent',
    realm_access: { roles: ['finance-reader', 'offline_access'] },
    scope: 'profile finance.read',
    iat: t,
    exp: t + 300,
    act: HUMAN,
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<DualAuthError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DualAuthError);
  return error as DualAuthError;
}

describe('verifyDualSubjectToken: accepted tokens', () => {
  it('keycloak: azp, realm roles, scope, act', async () => {
    const token = await sign(keycloakClaims(), key);
    const identity = await verifyDualSubjectToken(token, options());
    expect(identity.agent).toEqual({
      id: 'finance-agent',
      clientId: 'finance-agent',
      subject: 'service-account-uuid',
      roles: ['finance-reader', 'offline_access'],
      scopes: ['profile', 'finance.read'],
    });
    expect(identity.human).toEqual({ id: 'user-42', email: 'alice@example.test', name: 'Alice Example' });
    expect(identity.claims.azp).toBe('finance-agent');
  });

  it('auth0: agent from sub "<client>@clients", roles from permissions', async () => {
    const t = now();
    const token = await sign(
      { iss: issuer, aud: [AUDIENCE, 'https://other'], sub: 'abc123@clients', permissions: ['read:finance'], scope: 'read:finance', iat: t, exp: t + 60, act: { sub: 'auth0|u1' } },
      key,
    );
    const identity = await verifyDualSubjectToken(token, options({ vendor: 'auth0' }));
    expect(identity.agent.id).toBe('abc123');
    expect(identity.agent.roles).toEqual(['read:finance']);
    expect(identity.agent.scopes).toEqual(['read:finance']);
    expect(identity.human).toEqual({ id: 'auth0|u1' });
  });

  it('auth0: RFC 9068 client_id and a namespaced act claim (actClaim)', async () => {
    const t = now();
    const claim = 'https://api.example.com/act';
    const token = await sign({ iss: issuer, aud: AUDIENCE, sub: 'abc123@clients', client_id: 'abc123', iat: t, exp: t + 60, [claim]: { sub: 'auth0|u2' } }, key);
    const identity = await verifyDualSubjectToken(token, options({ vendor: 'auth0', actClaim: claim }));
    expect(identity.agent.id).toBe('abc123');
    expect(identity.human).toEqual({ id: 'auth0|u2' });
    await expect(verifyDualSubjectToken(token, options({ vendor: 'auth0' }))).rejects.toMatchObject({ code: 'ERR_TOKEN_NO_ACT' });
  });

  it('okta: cid, scp array', async () => {
    const t = now();
    const token = await sign({ iss: issuer, aud: AUDIENCE, sub: '0oa1', cid: '0oa1', scp: ['finance.read', 'finance.write'], iat: t, exp: t + 60, act: { sub: '00u9', oid: 'x' } }, key);
    const identity = await verifyDualSubjectToken(token, options({ vendor: 'okta' }));
    expect(identity.agent).toMatchObject({ id: '0oa1', roles: ['finance.read', 'finance.write'], scopes: ['finance.read', 'finance.write'] });
    expect(identity.human).toEqual({ id: '00u9', oid: 'x' });
  });

  it('okta: the agent is cid even when sub names someone else', async () => {
    const t = now();
    const token = await sign({ iss: issuer, aud: AUDIENCE, sub: '0oa-subject', cid: '0oa-client', scp: ['finance.read'], iat: t, exp: t + 60, act: { sub: '00u9' } }, key);
    const identity = await verifyDualSubjectToken(token, options({ vendor: 'okta' }));
    expect(identity.agent).toMatchObject({ id: '0oa-client', clientId: '0oa-client', subject: '0oa-subject' });
    // A token that names no client (no cid) has no agent, whatever its sub.
    const anonymous = await sign({ iss: issuer, aud: AUDIENCE, sub: '0oa-subject', scp: ['finance.read'], iat: t, exp: t + 60, act: { sub: '00u9' } }, key);
    const error = await rejection(verifyDualSubjectToken(anonymous, options({ vendor: 'okta' })));
    expect([error.code, error.message]).toEqual(['ERR_TOKEN_INVALID', 'Access token names no agent (client id)']);
  });

  it('accepts a token within the clock tolerance after exp, and a given key instead of a JWKS', async () => {
    const t = now();
    const token = await sign(keycloakClaims({ iat: t - 100, exp: t - 10 }), key);
    const identity = await verifyDualSubjectToken(token, { vendor: 'keycloak', issuer, audience: AUDIENCE, key: key.publicJwk });
    expect(identity.agent.id).toBe('finance-agent');
    await expect(verifyDualSubjectToken(token, { vendor: 'keycloak', issuer, audience: AUDIENCE, key: key.publicJwk, clockToleranceSeconds: 0 })).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });

  it('accepts a PEM public key and an array of issuers', async () => {
    const token = await sign(keycloakClaims(), key);
    const pem = await exportSPKI(key.publicKey);
    const identity = await verifyDualSubjectToken(token, { vendor: 'keycloak', issuer: ['https://elsewhere', issuer], audience: AUDIENCE, key: pem });
    expect(identity.human.id).toBe('user-42');
  });
});

describe('verifyDualSubjectToken: strict base64url (RFC 7515 §2)', () => {
  it('refuses every altered encoding of a valid token before verifying it', async () => {
    const token = await sign(keycloakClaims(), key);
    const verify = createDualSubjectVerifier(options());
    expect((await verify(token)).human.id).toBe('user-42');
    for (const [name, copy] of malleatedCopies(token)) {
      const error = await rejection(verify(copy));
      expect([name, error.code, error.message]).toEqual([name, 'ERR_TOKEN_INVALID', 'Access token is malformed']);
    }
  });

  it('refuses an act.sub made of whitespace only', async () => {
    for (const sub of [' ', '\t', ' \n ']) {
      const error = await rejection(verifyDualSubjectToken(await sign(keycloakClaims({ act: { sub } }), key), options()));
      expect(error.code).toBe('ERR_TOKEN_NO_ACT');
    }
  });
});

describe('verifyDualSubjectToken: rejections', () => {
  const cases: Array<[string, () => Promise<string | undefined>, string, Partial<VerifyOptions>?]> = [
    ['missing token', async () => undefined, 'ERR_TOKEN_MISSING'],
    ['empty token', async () => '', 'ERR_TOKEN_MISSING'],
    ['malformed token', async () => 'not.a-jwt', 'ERR_TOKEN_INVALID'],
    ['garbage with three parts', async () => 'eyJhbGciOi.eyJzdWIiOi.c2ln', 'ERR_TOKEN_INVALID'],
    ['oversized token', async () => 'a'.repeat(20_000), 'ERR_TOKEN_INVALID'],
    ['alg none', async () => unsecuredJwt(keycloakClaims()), 'ERR_TOKEN_INVALID'],
    [
      'HS256 signed with the JWKS public key as the secret',
      async () => {
        const secret = Buffer.from(await exportSPKI(key.publicKey));
        return new SignJWT(keycloakClaims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
      },
      'ERR_TOKEN_INVALID',
    ],
    ['wrong issuer', async () => sign(keycloakClaims({ iss: 'https://evil.example' }), key), 'ERR_TOKEN_INVALID'],
    ['no issuer', async () => sign(keycloakClaims({ iss: undefined }), key), 'ERR_TOKEN_INVALID'],
    ['wrong audience', async () => sign(keycloakClaims({ aud: 'https://other-api.example' }), key), 'ERR_TOKEN_INVALID'],
    ['expired', async () => sign(keycloakClaims({ iat: now() - 600, exp: now() - 120 }), key), 'ERR_TOKEN_EXPIRED'],
    ['no exp', async () => sign(keycloakClaims({ exp: undefined }), key), 'ERR_TOKEN_INVALID'],
    ['not yet valid', async () => sign(keycloakClaims({ nbf: now() + 600 }), key), 'ERR_TOKEN_INVALID'],
    ['bad signature (other key, same kid)', async () => sign(keycloakClaims(), { ...other, kid: key.kid }), 'ERR_TOKEN_INVALID'],
    ['tampered payload', async () => {
      const [h, , s] = (await sign(keycloakClaims(), key)).split('.');
      return `${h}.${Buffer.from(JSON.stringify(keycloakClaims({ azp: 'evil' }))).toString('base64url')}.${s}`;
    }, 'ERR_TOKEN_INVALID'],
    ['token without act', async () => sign(keycloakClaims({ act: undefined }), key), 'ERR_TOKEN_NO_ACT'],
    ['act without sub', async () => sign(keycloakClaims({ act: { email: 'alice@example.test' } }), key), 'ERR_TOKEN_NO_ACT'],
    ['act with empty sub', async () => sign(keycloakClaims({ act: { sub: '' } }), key), 'ERR_TOKEN_NO_ACT'],
    ['act not an object', async () => sign(keycloakClaims({ act: 'user-42' }), key), 'ERR_TOKEN_NO_ACT'],
    ['no agent id', async () => sign(keycloakClaims({ azp: undefined }), key), 'ERR_TOKEN_INVALID'],
  ];

  for (const [name, make, code, extra] of cases) {
    it(`${name} -> ${code} (${code === 'ERR_TOKEN_MISSING' || code.startsWith('ERR_TOKEN') ? 401 : '?'})`, async () => {
      const token = await make();
      const error = await rejection(verifyDualSubjectToken(token, options(extra)));
      expect(error.code).toBe(code);
      expect(httpStatusFor(error)).toBe(401);
      // No token, email or name in the message, nor anywhere in the error (its cause chain included).
      if (token) expect(error.message).not.toContain(token.slice(0, 20));
      expect(error.message).not.toMatch(/alice|Alice Example|example\.test/);
      const everything = JSON.stringify(error, (_k, v: unknown) => (v instanceof Error ? { ...v, message: v.message, cause: (v as Error).cause } : v));
      expect(everything).not.toMatch(/alice|Alice Example/);
      if (token && token.length > 20) expect(everything).not.toContain(token.slice(-20));
    });
  }

  it('an HS256 token is refused even with HS256 allow-listed: configuration error', () => {
    expect(() => createDualSubjectVerifier(options({ algorithms: ['HS256'] }))).toThrow(/not allowed/);
    expect(() => createDualSubjectVerifier(options({ algorithms: ['none'] }))).toThrow(DualAuthError);
  });

  it('an algorithm outside the allow-list is refused', async () => {
    const ec = await makeSigningKey('ES256');
    const token = await sign(keycloakClaims(), ec);
    const error = await rejection(verifyDualSubjectToken(token, { vendor: 'keycloak', issuer, audience: AUDIENCE, key: ec.publicJwk, algorithms: ['RS256'] }));
    expect(error.code).toBe('ERR_TOKEN_INVALID');
    expect(error.message).toMatch(/algorithm/);
  });

  it('refuses symmetric and private keys as configuration', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => createDualSubjectVerifier({ vendor: 'okta', issuer, audience: AUDIENCE, key: { kty: 'oct', k: 'c2VjcmV0' } })).toThrow(/symmetric/);
    expect(() => createDualSubjectVerifier({ vendor: 'okta', issuer, audience: AUDIENCE, key: privateKey })).toThrow(/public key/);
    expect(() => createDualSubjectVerifier({ vendor: 'okta', issuer, audience: AUDIENCE, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })).toThrow(/not a private key/);
    expect(() => createDualSubjectVerifier({ vendor: 'okta', issuer, audience: AUDIENCE, jwksUri: 'http://127.0.0.1/jwks' })).toThrow(/HTTPS/);
    expect(() => createDualSubjectVerifier({ vendor: 'nope' as never, issuer, audience: AUDIENCE, key: key.publicJwk })).toThrow(/vendor/);
    expect(() => createDualSubjectVerifier({ vendor: 'okta', issuer: '', audience: AUDIENCE, key: key.publicJwk })).toThrow(/issuer/);
  });
});

describe('JWKS fetching', () => {
  it('fetches the JWKS once and serves later calls from the cache', async () => {
    const jwks = await startJwksServer([key.publicJwk], server.certs);
    try {
      const verify = createDualSubjectVerifier(options({ jwksUri: jwks.jwksUri }));
      const token = await sign(keycloakClaims(), key);
      for (let i = 0; i < 20; i++) await verify(token);
      await Promise.all(Array.from({ length: 20 }, () => verify(token)));
      expect(jwks.requests()).toBe(1);
    } finally {
      await jwks.close();
    }
  });

  it('unknown kid: exactly one refetch, then reject; no second refetch within the cooldown', async () => {
    const jwks = await startJwksServer([key.publicJwk], server.certs);
    try {
      const verify = createDualSubjectVerifier(options({ jwksUri: jwks.jwksUri, jwksCooldownMs: 300 }));
      await verify(await sign(keycloakClaims(), key));
      expect(jwks.requests()).toBe(1);
      await sleep(350);
      const unknown = await sign(keycloakClaims(), other);
      const first = await rejection(verify(unknown));
      expect(first.code).toBe('ERR_TOKEN_INVALID');
      expect(first.message).toMatch(/key the issuer does not publish/);
      expect(jwks.requests()).toBe(2);
      // Within the cooldown: rejected without touching the IAM.
      await rejection(verify(unknown));
      await rejection(verify(unknown));
      expect(jwks.requests()).toBe(2);
    } finally {
      await jwks.close();
    }
  });

  it('key rotation: a token with a newly published kid is accepted after one refetch', async () => {
    const jwks = await startJwksServer([key.publicJwk], server.certs);
    try {
      const verify = createDualSubjectVerifier(options({ jwksUri: jwks.jwksUri, jwksCooldownMs: 300 }));
      await verify(await sign(keycloakClaims(), key));
      const rotated = await makeSigningKey('PS256');
      jwks.setKeys([key.publicJwk, rotated.publicJwk]);
      await sleep(350);
      const identity = await verify(await sign(keycloakClaims(), rotated));
      expect(identity.agent.id).toBe('finance-agent');
      expect(jwks.requests()).toBe(2);
    } finally {
      await jwks.close();
    }
  });

  it('JWKS endpoint failing -> ERR_JWKS_UNAVAILABLE (503)', async () => {
    const jwks = await startJwksServer([key.publicJwk], server.certs);
    try {
      jwks.failWith(500);
      const error = await rejection(createDualSubjectVerifier(options({ jwksUri: jwks.jwksUri }))(await sign(keycloakClaims(), key)));
      expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
      expect(httpStatusFor(error)).toBe(503);
    } finally {
      await jwks.close();
    }
  });

  it('JWKS server with a certificate from an untrusted CA -> ERR_JWKS_UNAVAILABLE (certificate checks stay on)', async () => {
    const error = await rejection(createDualSubjectVerifier(options({ ca: undefined }))(await sign(keycloakClaims(), key)));
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it('JWKS timeout -> ERR_JWKS_UNAVAILABLE within the configured time', async () => {
    // A TCP server that accepts and never answers.
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((resolve, reject) => {
      silent.once('error', reject);
      silent.listen(0, '127.0.0.1', () => resolve());
    });
    try {
      const port = (silent.address() as { port: number }).port;
      const token = await sign(keycloakClaims(), key);
      const started = Date.now();
      const error = await rejection(createDualSubjectVerifier(options({ jwksUri: `https://127.0.0.1:${port}/jwks`, jwksTimeoutMs: 300 }))(token));
      expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
      // Two attempts of 300 ms; the default (5 s per attempt) would take 10 s. Generous for a loaded machine.
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      silent.close();
    }
  });

  it('aborting during a stalled JWKS fetch ends the verification at once (per-call and verifier signals)', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((resolve, reject) => {
      silent.once('error', reject);
      silent.listen(0, '127.0.0.1', () => resolve());
    });
    try {
      const jwksUri = `https://127.0.0.1:${(silent.address() as { port: number }).port}/jwks`;
      const token = await sign(keycloakClaims(), key);
      const perCall = new AbortController();
      const verify = createDualSubjectVerifier(options({ jwksUri, jwksTimeoutMs: 30_000 }));
      let started = Date.now();
      setTimeout(() => perCall.abort(), 100);
      expect((await rejection(verify(token, { signal: perCall.signal }))).code).toBe('ERR_ABORTED');
      expect(Date.now() - started).toBeLessThan(1_000);

      const shutdown = new AbortController();
      const verifyWithShutdown = createDualSubjectVerifier(options({ jwksUri, jwksTimeoutMs: 30_000, signal: shutdown.signal }));
      started = Date.now();
      setTimeout(() => shutdown.abort(), 100);
      expect((await rejection(verifyWithShutdown(token))).code).toBe('ERR_ABORTED');
      expect(Date.now() - started).toBeLessThan(1_000);
      // Once aborted, the verifier refuses at once.
      expect((await rejection(verifyWithShutdown(token))).code).toBe('ERR_ABORTED');
    } finally {
      silent.close();
    }
  });

  it('an aborted signal -> ERR_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const verify = createDualSubjectVerifier(options());
    const error = await rejection(verify(await sign(keycloakClaims(), key), { signal: controller.signal }));
    expect(error.code).toBe('ERR_ABORTED');
  });
});

describe('policy', () => {
  it('requiredRoles / requiredScopes / authorize -> ERR_FORBIDDEN (403)', async () => {
    const token = await sign(keycloakClaims(), key);
    for (const extra of [
      { requiredRoles: ['finance-admin'] },
      { requiredScopes: ['finance.write'] },
      { authorize: () => false },
      { authorize: async () => { throw new Error('boom'); } },
    ] as Array<Partial<VerifyOptions>>) {
      const error = await rejection(verifyDualSubjectToken(token, options(extra)));
      expect(error.code).toBe('ERR_FORBIDDEN');
      expect(httpStatusFor(error)).toBe(403);
    }
  });

  it('authorize gets the agent, the human and the request', async () => {
    const token = await sign(keycloakClaims(), key);
    const seen: unknown[] = [];
    const verify = createDualSubjectVerifier(
      options({
        requiredRoles: ['finance-reader'],
        requiredScopes: ['finance.read'],
        authorize: (agent, human, request) => {
          seen.push(agent.id, human.id, request);
          return human.id === 'user-42';
        },
      }),
    );
    const identity = await verify(token, { request: { path: '/report' } });
    expect(identity.human.id).toBe('user-42');
    expect(seen).toEqual(['finance-agent', 'user-42', { path: '/report' }]);
  });
});

describe('HMAC forgery check', () => {
  it('a token whose HS256 signature is computed by hand with the public JWK is refused', async () => {
    const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${enc({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${enc(keycloakClaims())}`;
    const mac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(input).digest('base64url');
    const error = await rejection(verifyDualSubjectToken(`${input}.${mac}`, { vendor: 'keycloak', issuer, audience: AUDIENCE, key: key.publicJwk }));
    expect(error.code).toBe('ERR_TOKEN_INVALID');
  });
});
