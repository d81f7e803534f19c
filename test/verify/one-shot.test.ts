/**
 * verifyDualSubjectToken (one call, no verifier kept) shares remote key sets between calls with
 * the same JWKS settings, so calling it per request does not fetch the JWKS per request; the
 * sharing is bounded (32 sets, the oldest dropped). Counted on a real HTTPS JWKS server. Issue 16.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { verifyDualSubjectToken, type VerifyOptions } from '../../src/verify/index.js';
import { makeSigningKey, now, sign, startJwksServer, type JwksServer, type SigningKey } from './helpers.js';

const AUDIENCE = 'https://api.example.test/one-shot';
let server: JwksServer;
let key: SigningKey;
let token: string;

beforeAll(async () => {
  key = await makeSigningKey('RS256');
  server = await startJwksServer([key.publicJwk]);
  const t = now();
  token = await sign({ iss: server.origin, aud: AUDIENCE, sub: 'sa', azp: 'agent-1', iat: t, exp: t + 600, act: { sub: 'user-1' } }, key);
});
afterAll(async () => server?.close());

const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions & { signal?: AbortSignal } =>
  ({ vendor: 'keycloak', issuer: server.origin, audience: AUDIENCE, jwksUri: server.jwksUri, ca: server.caCert, ...extra }) as VerifyOptions;

async function fetchesFor(run: () => Promise<unknown>): Promise<number> {
  const before = server.requests();
  await run();
  return server.requests() - before;
}

describe('verifyDualSubjectToken shares key sets', () => {
  it('calls with the same settings fetch the JWKS once; other settings (timeout, cooldown, maximum age, stale window, CAs) have a set of their own', async () => {
    const otherCa = (await createDevCertificates()).caCert;
    const first = options({ jwksTimeoutMs: 4_001 });
    expect(await fetchesFor(() => verifyDualSubjectToken(token, first))).toBe(1);
    expect(await fetchesFor(() => verifyDualSubjectToken(token, { ...first }))).toBe(0);
    for (const other of [{ jwksTimeoutMs: 4_002 }, { jwksTimeoutMs: 4_001, jwksCooldownMs: 1_000 }, { jwksTimeoutMs: 4_001, jwksCacheMaxAgeMs: 60_000 }, { jwksTimeoutMs: 4_001, jwksMaxStaleMs: 0 }, { jwksTimeoutMs: 4_001, ca: [server.caCert, otherCa] }]) {
      expect(await fetchesFor(() => verifyDualSubjectToken(token, options(other)))).toBe(1);
      expect(await fetchesFor(() => verifyDualSubjectToken(token, options(other)))).toBe(0);
    }
    // The same CA given alone or as a one-element list is the same set.
    expect(await fetchesFor(() => verifyDualSubjectToken(token, options({ jwksTimeoutMs: 4_001, ca: [server.caCert] })))).toBe(0);
  }, 60_000);

  it('keeps 32 sets: the 33rd drops the oldest, which then fetches again', async () => {
    const withTimeout = (ms: number) => options({ jwksTimeoutMs: ms });
    for (let i = 0; i < 33; i++) expect(await fetchesFor(() => verifyDualSubjectToken(token, withTimeout(5_000 + i)))).toBe(1);
    // The newest 32 are still shared; the first was dropped.
    expect(await fetchesFor(() => verifyDualSubjectToken(token, withTimeout(5_032)))).toBe(0);
    expect(await fetchesFor(() => verifyDualSubjectToken(token, withTimeout(5_001)))).toBe(0);
    expect(await fetchesFor(() => verifyDualSubjectToken(token, withTimeout(5_000)))).toBe(1);
  }, 120_000);
});
