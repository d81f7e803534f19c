/**
 * The JWKS under stress (issue 14): rotated under load (no token that a correct
 * verifier accepts is refused; one fetch per cooldown), and unreachable while the
 * cached keys are still valid (they keep verifying for `jwksMaxStaleMs`, with one
 * refetch attempt per cooldown; past the window, ERR_JWKS_UNAVAILABLE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDualSubjectVerifier } from '../../src/index.js';
import { rejection } from '../helpers/log-audit.js';
import { json, startTestServer } from '../helpers/https-server.js';
import { makeSigningKey, now, sign, startJwksServer, type JwksServer, type SigningKey } from './helpers.js';

let jwks: JwksServer;
let first: SigningKey;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  first = await makeSigningKey();
  jwks = await startJwksServer([first.publicJwk]);
});
afterAll(() => jwks.close());

const claims = () => ({ iss: jwks.origin, aud: 'api', exp: now() + 300, azp: 'agent', act: { sub: 'user-1' } });
const verifier = (options: { jwksCacheMaxAgeMs?: number; jwksCooldownMs?: number; jwksMaxStaleMs?: number }) =>
  createDualSubjectVerifier({ vendor: 'keycloak', issuer: jwks.origin, audience: 'api', jwksUri: jwks.jwksUri, ca: jwks.caCert, jwksTimeoutMs: 2_000, ...options });

describe('a JWKS rotated under load', () => {
  it('200 concurrent verifications, half with the new key: all pass, with one fetch for the new key', async () => {
    jwks.failWith(0);
    jwks.setKeys([first.publicJwk]);
    const verify = verifier({ jwksCooldownMs: 300 });
    await verify(await sign(claims(), first));
    const before = jwks.requests();
    await sleep(350); // past the cooldown of that first fetch
    const second = await makeSigningKey();
    jwks.setKeys([first.publicJwk, second.publicJwk]); // the IAM publishes the new key and signs with it
    const tokens = await Promise.all(Array.from({ length: 200 }, (_, i) => sign(claims(), i % 2 === 0 ? first : second)));
    const results = await Promise.allSettled(tokens.map((token) => verify(token)));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(jwks.requests() - before).toBe(1);
  });
});

describe('a JWKS unreachable while the cached keys are still valid', () => {
  it('the cached keys keep verifying for jwksMaxStaleMs, one refetch attempt per cooldown; then ERR_JWKS_UNAVAILABLE', async () => {
    jwks.failWith(0);
    jwks.setKeys([first.publicJwk]);
    const verify = verifier({ jwksCacheMaxAgeMs: 200, jwksCooldownMs: 10_000, jwksMaxStaleMs: 1_500 });
    const token = await sign(claims(), first);
    await verify(token);
    jwks.failWith(503);
    await sleep(300); // past the maximum age: a refetch is due, and fails
    const before = jwks.requests();
    for (let i = 0; i < 20; i++) expect((await verify(token)).human.id).toBe('user-1');
    // One refetch attempt (a GET: one retry after the 503), not one per verification.
    expect(jwks.requests() - before).toBeLessThanOrEqual(2);
    await sleep(1_500); // past the stale window
    expect((await rejection(verify(token))).code).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it('jwksMaxStaleMs 0: refused as soon as the cache is past its maximum age', async () => {
    jwks.failWith(0);
    const verify = verifier({ jwksCacheMaxAgeMs: 200, jwksMaxStaleMs: 0 });
    const token = await sign(claims(), first);
    await verify(token);
    jwks.failWith(503);
    await sleep(300);
    expect((await rejection(verify(token))).code).toBe('ERR_JWKS_UNAVAILABLE');
    jwks.failWith(0);
  });

  it('the endpoint back: a fresh key set is fetched and used again', async () => {
    jwks.failWith(0);
    const verify = verifier({ jwksCacheMaxAgeMs: 200, jwksCooldownMs: 100 });
    const token = await sign(claims(), first);
    await verify(token);
    jwks.failWith(503);
    await sleep(300);
    await verify(token); // stale
    jwks.failWith(0);
    await sleep(150); // past the cooldown of the failed attempt
    const before = jwks.requests();
    await verify(token);
    expect(jwks.requests() - before).toBe(1);
  });

  it('a 200 that is not a key set does not extend the stale window', async () => {
    const server = await startTestServer();
    try {
      let valid = true;
      server.handle((_, res) => json(res, 200, valid ? { keys: [first.publicJwk] } : { keys: 'not a key set' }));
      const verify = createDualSubjectVerifier({
        vendor: 'keycloak', issuer: jwks.origin, audience: 'api', jwksUri: server.url('/jwks'), ca: server.caCert, jwksCacheMaxAgeMs: 200, jwksCooldownMs: 100, jwksMaxStaleMs: 600,
      });
      const token = await sign(claims(), first);
      await verify(token);
      const fetched = performance.now();
      valid = false;
      // Until 800 ms after the last good key set the stale keys verify; each cooldown, a refetch gets the bad 200.
      let refusedAt: number | undefined;
      while (performance.now() - fetched < 2_000 && refusedAt === undefined) {
        await sleep(50);
        refusedAt = await verify(token).then(() => undefined, () => performance.now() - fetched);
      }
      expect(refusedAt).toBeDefined();
      expect(refusedAt).toBeLessThan(1_300);
    } finally {
      await server.close();
    }
  });
});

describe('a JWKS unreachable from the start (no keys ever fetched)', () => {
  it('one fetch attempt per cooldown, not one per verification; the others fail at once; back after the cooldown', async () => {
    jwks.failWith(500);
    jwks.setKeys([first.publicJwk]);
    const verify = verifier({ jwksCooldownMs: 1_000 });
    const token = await sign(claims(), first);
    const before = jwks.requests();
    for (let i = 0; i < 50; i++) expect((await rejection(verify(token))).code).toBe('ERR_JWKS_UNAVAILABLE');
    // The first verification's fetch: a GET, so one retry after the 500. Nothing more within the cooldown.
    expect(jwks.requests() - before).toBeLessThanOrEqual(2);
    jwks.failWith(0);
    await sleep(1_050); // past the cooldown: the next verification fetches again, and the endpoint is back
    expect((await verify(token)).human.id).toBe('user-1');
  });
});
