/**
 * The 'assertion' layout: the agent's own token plus an X-Act-Assertion that
 * the application signed (HybridSender.prepareActAssertion) and the agent only
 * forwards. Per vendor, per algorithm (RS256, ES256, EdDSA); the application's
 * key given as a JWK Set or fetched from its JWKS URL (rotation). Every refusal
 * is asserted with its code.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rejection, thrown } from '../helpers/log-audit.js';
import { MemoryReplayCache } from '../../src/domain/replay-cache.js';
import { HybridSender } from '../../src/session/hybrid-sender.js';
import { OutOfSessionTokenRequest } from '../../src/session/out-of-session.js';
import type { AppSigningAlgorithm } from '../../src/jwt/keys.js';
import { createDualSubjectVerifier, httpStatusFor, type Vendor, type VerifyOptions } from '../../src/verify/index.js';
import { makeSigningKey, now, sign, startJwksServer, type JwksServer, type SigningKey } from './helpers.js';
import { startSilentServer } from '../helpers/https-server.js';

const ISSUER = 'https://iam.example.test/issuer';
const AUDIENCE = 'https://api.example.test/finance';
const AGENT = 'finance-agent';
const OTHER_AGENT = 'other-agent';
const AGENT_ENDPOINT = 'https://agent.example.test/invoke';
const ACT = { sub: 'user-7f3a', email: 'alice@example.test', name: 'Alice Example' };
const VENDORS: Vendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];

/** Each vendor's client-credentials token for `agent`, and the person's own login token. */
const AGENT_TOKEN: Record<Vendor, (agent: string) => JWTPayload> = {
  keycloak: (agent) => ({ sub: 'sa-0b1c', azp: agent, realm_access: { roles: ['FinanceAgent'] } }),
  auth0: (agent) => ({ sub: `${agent}@clients`, azp: agent, gty: 'client-credentials', permissions: ['finance.read'] }),
  okta: (agent) => ({ sub: agent, cid: agent, scp: ['finance.read'] }),
  entraid: (agent) => ({ ver: '2.0', sub: 'sp-oid-1', oid: 'sp-oid-1', azp: agent, roles: ['FinanceAgent'], idtyp: 'app' }),
};
const LOGIN_TOKEN: Record<Vendor, JWTPayload> = {
  keycloak: { sub: ACT.sub, azp: AGENT, preferred_username: 'alice' },
  auth0: { sub: 'auth0|alice', azp: AGENT },
  okta: { sub: 'alice@example.test', uid: '00u1', cid: AGENT },
  entraid: { ver: '2.0', sub: 'pairwise', oid: 'user-oid', azp: AGENT, scp: 'Finance.Read' },
};

let tokenKey: SigningKey;
/** A key of ours standing in for the application's, to sign hand-made assertions. */
let senderKey: SigningKey;
const senders = {} as Record<AppSigningAlgorithm, HybridSender>;
let rsaPublicKey: KeyObject;
let forger: HybridSender;

function pairFor(alg: AppSigningAlgorithm) {
  return alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
}

beforeAll(async () => {
  tokenKey = await makeSigningKey('RS256');
  senderKey = await makeSigningKey('RS256');
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    const pair = pairFor(alg);
    senders[alg] = new HybridSender({ privateKey: pair.privateKey, algorithm: alg });
    if (alg === 'RS256') rsaPublicKey = pair.publicKey;
  }
  forger = new HybridSender({ privateKey: pairFor('RS256').privateKey });
});

function accessToken(claims: JWTPayload): Promise<string> {
  const t = now();
  return sign({ iss: ISSUER, aud: AUDIENCE, iat: t, exp: t + 600, ...claims }, tokenKey);
}

function assertion(sender: HybridSender = senders.RS256, extra: Partial<Parameters<HybridSender['prepareActAssertion']>[0]> = {}): Promise<string> {
  return sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: AUDIENCE, ...extra });
}

async function verifierFor(vendor: Vendor, extra: Partial<VerifyOptions> = {}, sender: HybridSender = senders.RS256) {
  return createDualSubjectVerifier({
    vendor,
    issuer: ISSUER,
    audience: AUDIENCE,
    key: tokenKey.publicJwk,
    layout: 'assertion',
    actAssertionKey: await sender.publicJwks(),
    ...extra,
  });
}

async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(error.code).toBe(code);
  expect(httpStatusFor(error)).toBe(401);
}

for (const vendor of VENDORS) {
  describe(`${vendor}: application-signed act assertion`, () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      it(`${alg}: the person comes from the assertion, the agent from the token`, async () => {
        const verify = await verifierFor(vendor, {}, senders[alg]);
        expect(verify.readsActAssertion).toBe(true);
        const token = await accessToken(AGENT_TOKEN[vendor](AGENT));
        const signed = await assertion(senders[alg]);
        const identity = await verify(token, { actAssertion: signed });
        expect(identity).toMatchObject({ layout: 'assertion', agent: { id: AGENT }, human: { id: ACT.sub, email: ACT.email, name: ACT.name } });
        expect(identity.actAssertionClaims).toMatchObject({ azp: AGENT, aud: AUDIENCE });
        // Without one-time use, the agent may call several times within the assertion's lifetime.
        expect((await verify(token, { actAssertion: signed })).human.id).toBe(ACT.sub);
      });
    }

    it('an assertion addressed to the agent and the API (aud array) is accepted', async () => {
      const identity = await (await verifierFor(vendor))(await accessToken(AGENT_TOKEN[vendor](AGENT)), { actAssertion: await assertion(undefined, { agentEndpoint: AGENT_ENDPOINT }) });
      expect(identity.actAssertionClaims?.aud).toEqual([AGENT_ENDPOINT, AUDIENCE]);
    });

    it('refuses: missing, forged, expired, too long-lived, for another audience', async () => {
      const verify = await verifierFor(vendor);
      const token = await accessToken(AGENT_TOKEN[vendor](AGENT));
      await refused(verify(token), 'ERR_ACT_ASSERTION_MISSING');
      await refused(verify(token, { actAssertion: await assertion(forger) }), 'ERR_ACT_ASSERTION_INVALID');
      const t = now();
      const past = await sign({ iss: 'application', aud: AUDIENCE, azp: AGENT, iat: t - 700, exp: t - 400, act: ACT }, senderKey);
      await refused((await verifierFor(vendor, { actAssertionKey: senderKey.publicJwk }))(token, { actAssertion: past }), 'ERR_ACT_ASSERTION_INVALID');
      const long = await sign({ iss: 'application', aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 3600, act: ACT }, senderKey);
      await refused((await verifierFor(vendor, { actAssertionKey: senderKey.publicJwk }))(token, { actAssertion: long }), 'ERR_ACT_ASSERTION_INVALID');
      await refused(verify(token, { actAssertion: await assertion(undefined, { apiAudience: 'https://other-api.example.test' }) }), 'ERR_ACT_ASSERTION_INVALID');
    });

    it('refuses an assertion naming another agent, or none', async () => {
      const verify = await verifierFor(vendor);
      const token = await accessToken(AGENT_TOKEN[vendor](AGENT));
      await refused(verify(token, { actAssertion: await assertion(undefined, { agentId: OTHER_AGENT }) }), 'ERR_ACT_ASSERTION_AGENT_MISMATCH');
      const t = now();
      const unnamed = await sign({ iss: 'application', aud: AUDIENCE, iat: t, exp: t + 60, act: ACT }, senderKey);
      await refused((await verifierFor(vendor, { actAssertionKey: senderKey.publicJwk }))(token, { actAssertion: unnamed }), 'ERR_ACT_ASSERTION_INVALID');
    });

    it("refuses another agent's token with the assertion (stolen: useless without that agent's token)", async () => {
      const other = await accessToken(AGENT_TOKEN[vendor](OTHER_AGENT));
      const signed = await assertion();
      await refused((await verifierFor(vendor))(other, { actAssertion: signed }), 'ERR_ACT_ASSERTION_AGENT_MISMATCH');
      await refused((await verifierFor(vendor, { agents: [AGENT] }))(other, { actAssertion: signed }), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
    });

    it("refuses a token that carries a person itself: the person's login token, an act", async () => {
      const verify = await verifierFor(vendor);
      const signed = await assertion();
      await refused(verify(await accessToken(LOGIN_TOKEN[vendor]), { actAssertion: signed }), 'ERR_TOKEN_LAYOUT');
      await refused(verify(await accessToken({ ...AGENT_TOKEN[vendor](AGENT), act: { sub: 'someone-else' } }), { actAssertion: signed }), 'ERR_TOKEN_LAYOUT');
    });

    it('one-time use: a replayed assertion is refused; the agent receiving it first is not a replay', async () => {
      const store = new MemoryReplayCache();
      const verify = await verifierFor(vendor, { actAssertionReplayCache: store });
      const token = await accessToken(AGENT_TOKEN[vendor](AGENT));
      const signed = await assertion(undefined, { agentEndpoint: AGENT_ENDPOINT });
      // The agent checks the assertion addressed to it, with its own replay record in the same store.
      const agentSide = new OutOfSessionTokenRequest({ adapter: { requestToken: async () => undefined } as never, appPublicKey: rsaPublicKey, replayCache: store });
      expect(await agentSide.receiveAndVerifyActJwt({ actJwt: signed, expectedAudience: AGENT_ENDPOINT, agentId: AGENT })).toEqual(ACT);
      expect((await verify(token, { actAssertion: signed })).human.id).toBe(ACT.sub);
      await refused(verify(token, { actAssertion: signed }), 'ERR_ACT_ASSERTION_REPLAY');
      // A fresh assertion is a new call.
      expect((await verify(token, { actAssertion: await assertion() })).layout).toBe('assertion');
      // With one-time use, a jti is required, and must be a bounded string (an object would never match itself).
      const keyed = await verifierFor(vendor, { actAssertionReplayCache: store, actAssertionKey: senderKey.publicJwk });
      const t = now();
      for (const jti of [undefined, { id: 1 }, 'j'.repeat(129)]) {
        const odd = await sign({ iss: 'application', aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 60, act: ACT, ...(jti === undefined ? {} : { jti }) } as JWTPayload, senderKey);
        await refused(keyed(token, { actAssertion: odd }), 'ERR_ACT_ASSERTION_INVALID');
      }
    });
  });
}

/** An Okta API in the assertion layout that reads the application's keys from `jwksUri`. */
function assertionVerifier(jwksUri: string, extra: Partial<VerifyOptions>) {
  return createDualSubjectVerifier({ vendor: 'okta', issuer: ISSUER, audience: AUDIENCE, key: tokenKey.publicJwk, layout: 'assertion', actAssertionJwksUri: jwksUri, ...extra });
}

describe("the application's JWKS URL: kid and rotation", () => {
  let server: JwksServer;
  beforeAll(async () => {
    server = await startJwksServer((await senders.RS256.publicJwks()).keys);
  });
  afterAll(async () => server?.close());

  it('accepts a key published later after one refetch, and refuses a key never published', async () => {
    const verify = assertionVerifier(server.jwksUri, { ca: server.caCert, jwksCooldownMs: 0 });
    const token = await accessToken(AGENT_TOKEN.okta(AGENT));
    expect((await verify(token, { actAssertion: await assertion(senders.RS256) })).human.id).toBe(ACT.sub);
    const before = server.requests();
    // Rotation: the application publishes its new key beside the old one, then signs with the new one.
    const next = new HybridSender({ privateKey: pairFor('ES256').privateKey, algorithm: 'ES256' });
    server.setKeys([...(await senders.RS256.publicJwks()).keys, ...(await next.publicJwks()).keys]);
    expect((await verify(token, { actAssertion: await assertion(next) })).human.id).toBe(ACT.sub);
    expect(server.requests()).toBe(before + 1);
    // The old key still verifies while it is published.
    expect((await verify(token, { actAssertion: await assertion(senders.RS256) })).layout).toBe('assertion');
    await refused(verify(token, { actAssertion: await assertion(forger) }), 'ERR_ACT_ASSERTION_INVALID');
  });
});

describe('entraid: the reference assertion and the application assertion side by side', () => {
  it("with layout ['act', 'assertion'], an assertion without azp is the reference's, one with azp the application's", async () => {
    const verify = await verifierFor('entraid', { layout: ['act', 'assertion'], actAssertionKey: senderKey.publicJwk });
    const token = await accessToken(AGENT_TOKEN.entraid(AGENT));
    const t = now();
    const reference = await sign({ iss: 'app-id', sub: 'app-id', aud: AUDIENCE, iat: t, exp: t + 300, act: ACT }, senderKey);
    expect((await verify(token, { actAssertion: reference })).layout).toBe('act');
    const application = await sign({ iss: 'application', aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 60, act: ACT }, senderKey);
    expect((await verify(token, { actAssertion: application })).layout).toBe('assertion');
    const other = await sign({ iss: 'application', aud: AUDIENCE, azp: OTHER_AGENT, iat: t, exp: t + 60, act: ACT }, senderKey);
    await refused(verify(token, { actAssertion: other }), 'ERR_ACT_ASSERTION_AGENT_MISMATCH');
  });

  it("one-time use applies to the reference's assertion too", async () => {
    const verify = await verifierFor('entraid', { layout: 'act', actAssertionKey: senderKey.publicJwk, actAssertionReplayCache: new MemoryReplayCache() });
    const token = await accessToken(AGENT_TOKEN.entraid(AGENT));
    const t = now();
    const reference = await sign({ iss: 'app-id', sub: 'app-id', aud: AUDIENCE, iat: t, exp: t + 300, jti: 'reference-jti-1', act: ACT }, senderKey);
    expect((await verify(token, { actAssertion: reference })).layout).toBe('act');
    await refused(verify(token, { actAssertion: reference }), 'ERR_ACT_ASSERTION_REPLAY');
  });
});

describe('configuration', () => {
  it('the assertion layout needs the application key; one of key or JWKS URL; a replay store that can store', async () => {
    const base = { vendor: 'keycloak', issuer: ISSUER, audience: AUDIENCE, key: tokenKey.publicJwk, layout: 'assertion' } as const;
    expect(thrown(() => createDualSubjectVerifier(base)).message).toMatch(/actAssertionKey/);
    const jwks = await senders.RS256.publicJwks();
    expect(thrown(() => createDualSubjectVerifier({ ...base, actAssertionKey: jwks, actAssertionJwksUri: 'https://app.example.test/jwks' })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => createDualSubjectVerifier({ ...base, actAssertionJwksUri: 'http://app.example.test/jwks' })).code).toBe('ERR_INSECURE_URL');
    expect(thrown(() => createDualSubjectVerifier({ ...base, actAssertionKey: jwks, actAssertionReplayCache: {} as never })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => createDualSubjectVerifier({ ...base, actAssertionKey: jwks, actAssertionAlgorithms: ['HS256'] })).code).toBe('ERR_CONFIGURATION');
    const dsa = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    expect(thrown(() => createDualSubjectVerifier({ ...base, actAssertionKey: dsa })).code).toBe('ERR_CONFIGURATION');
    // The reference layout of keycloak reads no header.
    expect(createDualSubjectVerifier({ ...base, layout: 'act' }).readsActAssertion).toBe(false);
  });
});

describe("the application's JWKS URL stalls: the call's signal ends the wait", () => {
  it('an aborted verification ends at once with ERR_ABORTED, not after the JWKS timeout', async () => {
    const silent = await startSilentServer();
    try {
      const verify = assertionVerifier(`${silent.url}/jwks`, { jwksTimeoutMs: 4_000 });
      const token = await accessToken(AGENT_TOKEN.okta(AGENT));
      const controller = new AbortController();
      const started = performance.now();
      const pending = verify(token, { actAssertion: await assertion(senders.RS256), signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const error = await rejection(pending);
      expect({ code: error.code, status: httpStatusFor(error) }).toEqual({ code: 'ERR_ABORTED', status: 503 });
      // Far below the 4 s JWKS timeout (and its retry) that an unheard signal would wait for.
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      await silent.close();
    }
  });
});

describe('one-time use near the end of the window (security review M1)', () => {
  it('an assertion whose window ends while authorize runs is refused (expired), so it cannot be used twice', async () => {
    const T = 1_900_000_000; // a controllable clock, in seconds
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000);
    try {
      let endsAt = 0;
      const verify = await verifierFor('keycloak', {
        actAssertionReplayCache: new MemoryReplayCache(),
        actAssertionKey: senderKey.publicJwk,
        clockToleranceSeconds: 5,
        // A slow authorization: the clock moves to `endsAt` before the assertion is consumed.
        authorize: () => (vi.setSystemTime(endsAt * 1000), true),
      });
      const token = await accessToken(AGENT_TOKEN.keycloak(AGENT));
      const signed = await sign({ iss: 'application', aud: AUDIENCE, azp: AGENT, iat: T, exp: T + 60, jti: 'near-window-end', act: ACT }, senderKey);
      // Twice, each verified before exp and consumed at exactly exp + tolerance: both refused.
      for (let call = 0; call < 2; call++) {
        vi.setSystemTime(T * 1000);
        endsAt = T + 65;
        const error = await rejection(verify(token, { actAssertion: signed }));
        expect([error.code, error.message]).toEqual(['ERR_ACT_ASSERTION_INVALID', 'Act assertion has expired']);
      }
      // One second earlier it is consumed once, and then a replay.
      const other = await sign({ iss: 'application', aud: AUDIENCE, azp: AGENT, iat: T, exp: T + 60, jti: 'just-inside', act: ACT }, senderKey);
      vi.setSystemTime(T * 1000);
      endsAt = T + 64;
      expect((await verify(token, { actAssertion: other })).human.id).toBe(ACT.sub);
      vi.setSystemTime(T * 1000);
      await refused(verify(token, { actAssertion: other }), 'ERR_ACT_ASSERTION_REPLAY');
    } finally {
      vi.useRealTimers();
    }
  });
});
