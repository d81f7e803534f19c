/**
 * The verifier's per-token path on node:crypto (issue 13): every algorithm of
 * the default allow-list through a real HTTPS JWKS, the KeyObjects made from
 * jose's keys dropped when a refetch brings other keys, the key's type held to
 * the token's algorithm, and the headers and encodings jose would have read
 * leniently. Real keys, a real JWKS server; nothing mocked.
 */
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, importJWK, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import { createDualSubjectVerifier, type VerifyOptions } from '../../src/verify/index.js';
import { makeSigningKey, now, sign, startJwksServer, type JwksServer } from './helpers.js';

const AUDIENCE = 'https://api.example.test';
let server: JwksServer;
let issuer: string;

beforeAll(async () => {
  server = await startJwksServer([]);
  issuer = `${server.origin}/realms/fast`;
});
afterAll(async () => server?.close());

function claims(extra: JWTPayload = {}): JWTPayload {
  const t = now();
  return { iss: issuer, aud: AUDIENCE, sub: 'service-account-x', azp: 'finance-agent', iat: t, exp: t + 300, act: { sub: 'user-7' }, ...extra };
}

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { vendor: 'keycloak', issuer, audience: AUDIENCE, jwksUri: server.jwksUri, ca: server.caCert, ...extra } as VerifyOptions;
}

async function refusal(promise: Promise<unknown>): Promise<DualAuthError> {
  const error = await promise.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DualAuthError);
  return error as DualAuthError;
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with node:crypto over exactly the given header and payload bytes. */
function handSigned(header: Record<string, unknown>, payload: string | Buffer, key: KeyObject, signature?: (input: Buffer) => Buffer): string {
  const input = `${b64(header)}.${Buffer.from(payload).toString('base64url')}`;
  const bytes = signature ? signature(Buffer.from(input)) : cryptoSign('sha256', Buffer.from(input), key);
  return `${input}.${bytes.toString('base64url')}`;
}

describe('every default algorithm through a remote JWKS', () => {
  for (const alg of ['RS256', 'RS512', 'PS256', 'PS384', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const) {
    it(`${alg}: accepted with its key, refused with another key under the same kid`, async () => {
      const signer = await makeSigningKey(alg);
      const impostor = await makeSigningKey(alg, signer.kid);
      server.setKeys([signer.publicJwk]);
      const verify = createDualSubjectVerifier(options());
      for (let i = 0; i < 3; i++) expect((await verify(await sign(claims(), signer))).human.id).toBe('user-7');
      const error = await refusal(verify(await sign(claims(), impostor)));
      expect([error.code, error.message]).toEqual(['ERR_TOKEN_INVALID', 'Access token signature verification failed']);
    });
  }
});

describe('keys made from the JWKS follow it', () => {
  it('a key replaced under the same kid stops verifying after the refetch (no KeyObject outlives its JWK)', async () => {
    const first = await makeSigningKey('ES256');
    const second = await makeSigningKey('ES256', first.kid);
    server.setKeys([first.publicJwk]);
    const verify = createDualSubjectVerifier(options({ jwksCacheMaxAgeMs: 150, jwksCooldownMs: 0 }));
    expect((await verify(await sign(claims(), first))).agent.id).toBe('finance-agent');
    server.setKeys([second.publicJwk]);
    await sleep(250); // past the maximum age: the next verification refetches
    expect((await verify(await sign(claims(), second))).agent.id).toBe('finance-agent');
    const error = await refusal(verify(await sign(claims(), first)));
    expect(error.message).toBe('Access token signature verification failed');
  });

  it('a key withdrawn from the JWKS is refused after the refetch', async () => {
    const kept = await makeSigningKey('RS256');
    const withdrawn = await makeSigningKey('RS256');
    server.setKeys([kept.publicJwk, withdrawn.publicJwk]);
    const verify = createDualSubjectVerifier(options({ jwksCacheMaxAgeMs: 150, jwksCooldownMs: 0 }));
    await verify(await sign(claims(), withdrawn));
    server.setKeys([kept.publicJwk]);
    await sleep(250);
    const error = await refusal(verify(await sign(claims(), withdrawn)));
    expect(error.message).toBe('Access token is signed with a key the issuer does not publish');
  });
});

describe("the key's type is held to the token's algorithm", () => {
  it('an EC key given as a KeyObject does not verify a token labelled RS256 or ES384', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const verify = createDualSubjectVerifier({ vendor: 'keycloak', issuer, audience: AUDIENCE, key: publicKey });
    const ecdsa = (input: Buffer) => cryptoSign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect((await verify(handSigned({ alg: 'ES256' }, JSON.stringify(claims()), privateKey, ecdsa))).human.id).toBe('user-7');
    for (const alg of ['RS256', 'ES384', 'PS256']) {
      const error = await refusal(verify(handSigned({ alg }, JSON.stringify(claims()), privateKey, ecdsa)));
      expect([alg, error.code, error.message]).toEqual([alg, 'ERR_TOKEN_INVALID', 'Access token uses an unsupported algorithm or key']);
    }
  });

  it('a CryptoKey imported for RS256 does not verify an RS384 token signed by the same RSA key (as jose)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const cryptoKey = await importJWK(jwk, 'RS256');
    const verify = createDualSubjectVerifier({ vendor: 'keycloak', issuer, audience: AUDIENCE, key: cryptoKey as never });
    expect((await verify(handSigned({ alg: 'RS256' }, JSON.stringify(claims()), privateKey))).human.id).toBe('user-7');
    const rs384 = handSigned({ alg: 'RS384' }, JSON.stringify(claims()), privateKey, (input) => cryptoSign('sha384', input, privateKey));
    expect((await refusal(verify(rs384))).message).toBe('Access token uses an unsupported algorithm or key');
  });

  it('an RSA key under 2048 bits in the JWKS is refused', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'small', alg: 'RS256', use: 'sig' };
    server.setKeys([jwk]);
    const error = await refusal(createDualSubjectVerifier(options())(handSigned({ alg: 'RS256', kid: 'small' }, JSON.stringify(claims()), privateKey)));
    expect(error.code).toBe('ERR_TOKEN_INVALID');
  });
});

describe('what jose would have read leniently', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const verify = () => createDualSubjectVerifier({ vendor: 'keycloak', issuer, audience: AUDIENCE, key: publicKey });

  it('refuses crit and b64 in the header, even b64 alone (RFC 7797: never a JWT)', async () => {
    expect((await verify()(handSigned({ alg: 'RS256' }, JSON.stringify(claims()), privateKey))).human.id).toBe('user-7');
    for (const extra of [{ b64: true }, { crit: ['exp'], exp: 1 }, { crit: ['b64'], b64: true }]) {
      const error = await refusal(verify()(handSigned({ alg: 'RS256', ...extra }, JSON.stringify(claims()), privateKey)));
      expect([extra, error.code, error.message]).toEqual([extra, 'ERR_TOKEN_INVALID', 'Access token is malformed']);
    }
  });

  it('refuses signed claims that are not UTF-8, or not a JSON object', async () => {
    const notUtf8 = Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')]);
    for (const payload of [notUtf8, '[1,2]', 'null', '{"a":']) {
      const error = await refusal(verify()(handSigned({ alg: 'RS256' }, payload, privateKey)));
      expect(error.message).toBe('Access token is malformed');
    }
  });

  it('refuses an ECDSA signature in DER form (JWS wants r || s)', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = handSigned({ alg: 'ES256' }, JSON.stringify(claims()), ec.privateKey, (input) => cryptoSign('sha256', input, ec.privateKey));
    const error = await refusal(createDualSubjectVerifier({ vendor: 'keycloak', issuer, audience: AUDIENCE, key: ec.publicKey })(token));
    expect(error.message).toBe('Access token signature verification failed');
  });

  it('a header without alg, or with an empty one, is malformed', async () => {
    for (const header of [{}, { alg: '' }, { alg: 7 }]) {
      const error = await refusal(verify()(handSigned(header, JSON.stringify(claims()), privateKey)));
      expect(error.message).toBe('Access token is malformed');
    }
  });

  it('the claims checks keep jose\'s order and reasons: a missing iss is named before a wrong audience', async () => {
    const { iss: _iss, ...noIssuer } = claims({ aud: 'https://other.example' });
    const error = await refusal(verify()(handSigned({ alg: 'RS256' }, JSON.stringify(noIssuer), privateKey)));
    expect(error.message).toBe('Access token lacks a required claim (iss)');
    const typed = await refusal(verify()(handSigned({ alg: 'RS256' }, JSON.stringify(claims({ nbf: '0' as never })), privateKey)));
    expect(typed.message).toBe('Access token is not yet valid (nbf)');
  });
});
