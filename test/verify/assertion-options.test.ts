/**
 * The X-Act-Assertion's options and one-time use, checked by what the verifier does with them:
 * the replay key and how long it is kept, the jti bounds, what a replay store's failure becomes,
 * the `ath` binding, the algorithms a given key allows, and every configuration refusal with its
 * message. The replay stores here are the application's own (the ReplayCache interface is the
 * extension point: Redis in production), recording what the verifier asks of them. Issue 16.
 */
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import { MAX_JTI_LENGTH } from '../../src/domain/jti.js';
import { ReplayCacheFullError, type ReplayCache } from '../../src/domain/replay-cache.js';
import { createDualSubjectVerifier, httpStatusFor, type VerifyOptions } from '../../src/verify/index.js';
import { rejection, thrown } from '../helpers/log-audit.js';

const ISSUER = 'https://iam.example.test/realms/r';
const AUDIENCE = 'https://api.example.test';
const AGENT = 'finance-agent';
const iam = generateKeyPairSync('rsa', { modulusLength: 2048 });
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

function jws(claims: Record<string, unknown>, key: KeyObject, alg = 'RS256'): string {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const options = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  const signature = cryptoSign(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), options);
  return `${input}.${signature.toString('base64url')}`;
}

const accessToken = (): string => {
  const t = now();
  return jws({ iss: ISSUER, aud: AUDIENCE, sub: 'service-account-1', azp: AGENT, iat: t, exp: t + 300 }, iam.privateKey);
};

function assertion(extra: Record<string, unknown> = {}, key: KeyObject = app.privateKey, alg = 'RS256'): string {
  const t = now();
  return jws({ aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 60, jti: 'jti-1', act: { sub: 'user-7' }, ...extra }, key, alg);
}

const base: VerifyOptions = { vendor: 'keycloak', issuer: ISSUER, audience: AUDIENCE, key: iam.publicKey, layout: 'assertion', actAssertionKey: app.publicKey };

/** An application's replay store that records every question and answers as told. */
function recordingCache(answer: (key: string) => boolean | Promise<boolean> = () => true) {
  const calls: Array<[string, number]> = [];
  const cache: ReplayCache = {
    checkAndStore(key, expiresAt) {
      calls.push([key, expiresAt]);
      return answer(key);
    },
  };
  return { cache, calls };
}

async function refused(promise: Promise<unknown>, code: string, message: string, status = 401): Promise<DualAuthError> {
  const error = (await rejection(promise)) as DualAuthError;
  expect(error).toBeInstanceOf(DualAuthError);
  expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({ code, message, status });
  return error;
}

describe('one-time use', () => {
  it('stores "dual-auth:api:<audience>:<jti>" until exp + the clock tolerance', async () => {
    const { cache, calls } = recordingCache();
    const verify = createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache, clockToleranceSeconds: 7 });
    const exp = now() + 60;
    await verify(accessToken(), { actAssertion: assertion({ exp, jti: 'abc' }) });
    expect(calls).toEqual([[`dual-auth:api:${AUDIENCE}:abc`, exp + 7]]);
  });

  it('a prefix of the application\'s own; an empty or non-string one is a configuration error', async () => {
    const { cache, calls } = recordingCache();
    await createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache, actAssertionReplayPrefix: 'svc:' })(accessToken(), { actAssertion: assertion({ jti: 'abc' }) });
    expect(calls[0]?.[0]).toBe('svc:abc');
    for (const prefix of ['', 5]) {
      const error = thrown(() => createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache, actAssertionReplayPrefix: prefix as string }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_CONFIGURATION', message: 'actAssertionReplayPrefix must be a non-empty string' });
    }
  });

  it('a store without checkAndStore (or null) is a configuration error', () => {
    for (const cache of [null, {}, { checkAndStore: 'yes' }]) {
      const error = thrown(() => createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache as never }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_CONFIGURATION', message: 'actAssertionReplayCache must implement checkAndStore' });
    }
  });

  it('a jti is required with a store; a jti that is not a string, empty, or over 128 characters is refused before the store is asked', async () => {
    const { cache, calls } = recordingCache();
    const verify = createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache });
    await refused(verify(accessToken(), { actAssertion: assertion({ jti: undefined }) }), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion lacks a required claim (jti)');
    for (const jti of [42, '', 'j'.repeat(MAX_JTI_LENGTH + 1)]) {
      await refused(verify(accessToken(), { actAssertion: assertion({ jti }) }), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion jti is invalid');
    }
    expect(calls).toEqual([]);
    await verify(accessToken(), { actAssertion: assertion({ jti: 'j'.repeat(MAX_JTI_LENGTH) }) });
    expect(calls).toHaveLength(1);
    // Without a store, no jti is needed.
    expect((await createDualSubjectVerifier(base)(accessToken(), { actAssertion: assertion({ jti: undefined }) })).human.id).toBe('user-7');
  });

  it('a jti seen before is a replay; a full store refuses; a store that fails is 503 with its cause; its own DualAuthError passes', async () => {
    const seen = new Set<string>();
    const { cache } = recordingCache((key) => !seen.has(key) && Boolean(seen.add(key)));
    const verify = createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache });
    const once = assertion({ jti: 'once' });
    await verify(accessToken(), { actAssertion: once });
    await refused(verify(accessToken(), { actAssertion: once }), 'ERR_ACT_ASSERTION_REPLAY', 'Act assertion was already used (replay)');

    const full = createDualSubjectVerifier({ ...base, actAssertionReplayCache: recordingCache(() => { throw new ReplayCacheFullError('full'); }).cache });
    await refused(full(accessToken(), { actAssertion: assertion() }), 'ERR_ACT_ASSERTION_REPLAY', 'Act assertion replay cache is full');

    const down = new Error('connection refused');
    const broken = createDualSubjectVerifier({ ...base, actAssertionReplayCache: recordingCache(async () => { throw down; }).cache });
    const error = await refused(broken(accessToken(), { actAssertion: assertion() }), 'ERR_REPLAY_STORE_UNAVAILABLE', 'Act assertion replay cache is unavailable', 503);
    expect(error.cause).toBe(down);

    const own = new DualAuthError('Verification aborted', 'ERR_ABORTED');
    const aborting = createDualSubjectVerifier({ ...base, actAssertionReplayCache: recordingCache(() => { throw own; }).cache });
    expect(await rejection(aborting(accessToken(), { actAssertion: assertion() }))).toBe(own);
  });

  it('a call refused by the policy does not use up the assertion', async () => {
    const { cache, calls } = recordingCache();
    const verify = createDualSubjectVerifier({ ...base, actAssertionReplayCache: cache, requiredScopes: ['finance.read'] });
    await refused(verify(accessToken(), { actAssertion: assertion() }), 'ERR_FORBIDDEN', 'Token lacks a required scope', 403);
    expect(calls).toEqual([]);
  });
});

describe('binding to the access token (bindAgentToken)', () => {
  it("cannot be asked of the 'assertion' layout: the application signs before the agent has its token", () => {
    const error = thrown(() => createDualSubjectVerifier({ ...base, bindAgentToken: true }));
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'ERR_CONFIGURATION',
      message: "bindAgentToken cannot be used with layout 'assertion': the application signs the assertion before the agent has its token, so it carries no ath",
    });
    expect(() => createDualSubjectVerifier({ ...base, bindAgentToken: false })).not.toThrow();
  });
});

describe('the assertion key and its algorithms', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');

  it('a single key allows the one algorithm it signs with', async () => {
    const verifyEc = createDualSubjectVerifier({ ...base, actAssertionKey: ec.publicKey });
    expect((await verifyEc(accessToken(), { actAssertion: assertion({}, ec.privateKey, 'ES256') })).human.id).toBe('user-7');
    const verifyEd = createDualSubjectVerifier({ ...base, actAssertionKey: ed.publicKey });
    expect((await verifyEd(accessToken(), { actAssertion: assertion({}, ed.privateKey, 'EdDSA') })).human.id).toBe('user-7');
    await refused(verifyEd(accessToken(), { actAssertion: assertion({}, ec.privateKey, 'ES256') }), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion signing algorithm is not allowed');
  });

  it('a key set allows RS256, ES256 and EdDSA, nothing else', async () => {
    const keys = { keys: [{ ...(await exportJWK(app.publicKey)), kid: 'rsa' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec' }] };
    const verify = createDualSubjectVerifier({ ...base, actAssertionKey: keys });
    expect((await verify(accessToken(), { actAssertion: assertion({}, ec.privateKey, 'ES256') })).human.id).toBe('user-7');
    expect((await verify(accessToken(), { actAssertion: assertion() })).human.id).toBe('user-7');
    const t = now();
    const ps256 = `${b64({ alg: 'PS256' })}.${b64({ aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 60, act: { sub: 'u' } })}.c2ln`;
    await refused(verify(accessToken(), { actAssertion: ps256 }), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion signing algorithm is not allowed');
  });

  it('given algorithms replace the key\'s own; a key of no known algorithm needs them', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const error = thrown(() => createDualSubjectVerifier({ ...base, actAssertionKey: p384.publicKey }));
    expect(error.message).toBe('actAssertionKey must be an RSA, EC P-256 or Ed25519 public key (or give actAssertionAlgorithms)');
    const verify = createDualSubjectVerifier({ ...base, actAssertionKey: app.publicKey, actAssertionAlgorithms: ['PS256'] });
    await refused(verify(accessToken(), { actAssertion: assertion() }), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion signing algorithm is not allowed');
  });

  it('an issuer when asked for, the audience of its own when the API has several', async () => {
    const withIssuer = createDualSubjectVerifier({ ...base, actAssertionIssuer: 'https://app.example.test' });
    await refused(withIssuer(accessToken(), { actAssertion: assertion() }), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion lacks a required claim (iss)');
    expect((await withIssuer(accessToken(), { actAssertion: assertion({ iss: 'https://app.example.test' }) })).human.id).toBe('user-7');

    for (const extra of [{ audience: [AUDIENCE, 'https://other.example.test'] }, { actAssertionAudience: '' }]) {
      const error = thrown(() => createDualSubjectVerifier({ ...base, ...extra }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_CONFIGURATION', message: 'actAssertionAudience is required when audience is not a single string' });
    }
  });

  it('configuration refusals name what is wrong', () => {
    const message = (extra: Partial<VerifyOptions>) => thrown(() => createDualSubjectVerifier({ ...base, ...extra })).message;
    expect(message({ actAssertionJwksUri: 'https://app.example.test/jwks' })).toBe('give either actAssertionKey or actAssertionJwksUri, not both');
    expect(message({ actAssertionKey: undefined, actAssertionJwksUri: '' })).toBe('actAssertionJwksUri must be an HTTPS URL');
    expect(message({ actAssertionKey: undefined, actAssertionJwksUri: 7 as never })).toBe('actAssertionJwksUri must be an HTTPS URL');
    expect(message({ actAssertionKey: null as never })).toBe('actAssertionKey (the application public key) or actAssertionJwksUri is required');
    expect(message({ actAssertionKey: undefined })).toBe('actAssertionKey (the application public key) or actAssertionJwksUri is required');
  });
});
