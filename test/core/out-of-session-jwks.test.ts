/**
 * OutOfSessionTokenRequest with the application's `jwksUri` uses the package's one
 * key source (src/jwt/key-sources.ts), as the API's verifier does: the keys last
 * fetched keep verifying for `jwksMaxStaleMs` while the JWKS endpoint is down, and
 * an aborted verification ends at once and gives up the JWKS fetch it waited for.
 * Until then it used jose's remote key set as it is: no stale window, no abort.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ActVerificationError, HybridSender, KeycloakAdapter, OutOfSessionTokenRequest, type OutOfSessionTokenRequestOptions } from '../../src/index.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';
import { json, startSilentServer, startTestServer, type TestServer } from '../helpers/https-server.js';

const AGENT = 'https://agent.example.com/invoke';
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const sender = new HybridSender({ privateKey: app.privateKey, kid: 'app-1' });
const act = { sub: 'user-oos-jwks' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let jwks: TestServer;
/** The status the JWKS endpoint answers with (200: the key set). */
let status = 200;
beforeAll(async () => {
  const jwk = { ...(await exportJWK(app.publicKey)), kid: 'app-1', alg: 'RS256', use: 'sig' };
  jwks = await startTestServer((_, res) => (status === 200 ? json(res, 200, { keys: [jwk] }) : json(res, status, { error: 'unavailable' })));
});
afterAll(() => jwks.close());
beforeEach(() => {
  status = 200;
});

function receiver(extra: Partial<OutOfSessionTokenRequestOptions>): OutOfSessionTokenRequest {
  const adapter = new KeycloakAdapter({ tokenUrl: 'https://kc.example/realms/r/protocol/openid-connect/token', clientId: 'agent', clientSecret: 'oos-jwks-secret' });
  markSensitive('oos-jwks-secret');
  return new OutOfSessionTokenRequest({ adapter, jwksUri: jwks.url('/jwks'), ca: jwks.caCert, logger: auditLogger(), ...extra });
}

async function actJwt(): Promise<string> {
  const jwt = await sender.prepareOutOfSessionAct({ act, agentEndpoint: AGENT });
  markSensitive(jwt);
  return jwt;
}

describe('out-of-session act JWTs from a JWKS URL: the stale window', () => {
  it('the cached keys keep verifying for jwksMaxStaleMs while the endpoint is down, one refetch per cooldown; then KeyFetchError', async () => {
    const verifier = receiver({ jwksCacheMaxAgeMs: 200, jwksCooldownMs: 10_000, jwksMaxStaleMs: 1_500 });
    expect(await verifier.receiveAndVerifyActJwt(await actJwt(), AGENT)).toEqual(act);
    status = 503;
    await sleep(300); // past the maximum age: a refetch is due, and fails
    const before = jwks.requests.length;
    for (let i = 0; i < 10; i++) expect(await verifier.receiveAndVerifyActJwt(await actJwt(), AGENT)).toEqual(act);
    // One refetch attempt (a GET: one retry after the 503), not one per act JWT.
    expect(jwks.requests.length - before).toBeLessThanOrEqual(2);
    await sleep(1_500); // past the stale window
    const error = await rejection(verifier.receiveAndVerifyActJwt(await actJwt(), AGENT));
    expect([error.code, error.message]).toEqual(['ERR_ACT_INVALID', 'Act JWT invalid: KeyFetchError']);
  });

  it('jwksMaxStaleMs 0: refused as soon as the cache is past its maximum age', async () => {
    const verifier = receiver({ jwksCacheMaxAgeMs: 200, jwksMaxStaleMs: 0 });
    await verifier.receiveAndVerifyActJwt(await actJwt(), AGENT);
    status = 503;
    await sleep(300);
    expect((await rejection(verifier.receiveAndVerifyActJwt(await actJwt(), AGENT))).message).toBe('Act JWT invalid: KeyFetchError');
  });

  it('the JWKS options given with a fixed key are refused, not ignored', () => {
    const adapter = new KeycloakAdapter({ tokenUrl: 'https://kc.example/realms/r/protocol/openid-connect/token', clientId: 'agent', clientSecret: 'oos-jwks-secret' });
    const fixed = { adapter, appPublicKey: app.publicKey.export({ type: 'spki', format: 'pem' }) as string };
    expect(() => new OutOfSessionTokenRequest({ ...fixed, jwksMaxStaleMs: 0, jwksCooldownMs: 5 })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION', message: 'jwksCooldownMs, jwksMaxStaleMs: only used with jwksUri' }),
    );
    expect(() => new OutOfSessionTokenRequest(fixed)).not.toThrow();
  });

  it('the JWKS options are checked as the verifier checks them', () => {
    expect(() => receiver({ jwksMaxStaleMs: Number.NaN })).toThrow('"jwksMaxStaleMs" must be a finite number >= 0');
    expect(() => receiver({ jwksTimeoutMs: 0 })).toThrow('"jwksTimeoutMs" must be a finite number > 0');
  });
});

describe('out-of-session act JWTs from a JWKS URL: abort', () => {
  it('aborting while the JWKS fetch stalls ends the verification at once (ERR_ABORTED) and gives up the fetch', async () => {
    // Accepts and never answers: the TLS handshake of the JWKS fetch stalls.
    const silent = await startSilentServer();
    try {
      const verifier = receiver({ jwksUri: `${silent.url}/jwks`, jwksTimeoutMs: 30_000 });
      const jwt = await actJwt();
      const controller = new AbortController();
      const pending = rejection(verifier.receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: AGENT, signal: controller.signal }));
      // Aborted once the fetch has its connection (and waits for the TLS handshake).
      for (const until = Date.now() + 10_000; silent.openSockets() === 0 && Date.now() < until; ) await sleep(10);
      expect(silent.openSockets()).toBe(1);
      const started = Date.now();
      controller.abort();
      const error = await pending;
      expect(error).toBeInstanceOf(ActVerificationError);
      expect([error.code, error.message]).toEqual(['ERR_ABORTED', 'Act JWT verification aborted']);
      expect(Date.now() - started).toBeLessThan(1_000);
      // Nobody waits for the fetch any more: its connection is closed, not left to its 30 s timeout.
      const deadline = Date.now() + 2_000;
      while (silent.openSockets() > 0 && Date.now() < deadline) await sleep(20);
      expect(silent.openSockets()).toBe(0);
      // An aborted signal refuses at once, and the JWT is not used up: it verifies afterwards.
      expect((await rejection(receiver({}).receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: AGENT, signal: AbortSignal.abort() }))).code).toBe('ERR_ABORTED');
    } finally {
      await silent.close();
    }
  });

  it('a signal that does not abort changes nothing', async () => {
    const verifier = receiver({});
    const controller = new AbortController();
    expect(await verifier.receiveAndVerifyActJwt({ actJwt: await actJwt(), expectedAudience: AGENT, signal: controller.signal })).toEqual(act);
  });
});

describe('out-of-session act JWTs: one header check on every key source', () => {
  it('a header without alg is an InvalidAlgorithmError, as PyJWT says, with one key and with a JWKS', async () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = part({ aud: AGENT, exp: now + 60, iat: now, jti: randomBytes(8).toString('hex'), act });
    const jwt = `${part({ typ: 'JWT', kid: 'app-1' })}.${body}.${randomBytes(256).toString('base64url')}`;
    markSensitive(jwt);
    const fixed = receiver({ jwksUri: undefined, appPublicKey: app.publicKey });
    for (const verifier of [fixed, receiver({})]) {
      const error = await rejection(verifier.receiveAndVerifyActJwt(jwt, AGENT));
      expect([error.code, error.message]).toEqual(['ERR_ACT_INVALID', 'Act JWT invalid: InvalidAlgorithmError']);
    }
  });
});
