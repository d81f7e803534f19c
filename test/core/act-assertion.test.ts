/**
 * The application side of the 'assertion' layout (HybridSender.prepareActAssertion,
 * publicJwks, ES256 and EdDSA keys) and the agent side (OutOfSessionTokenRequest
 * verifying an assertion addressed to it and to the API, in every algorithm).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { thrown, rejection } from '../helpers/log-audit.js';
import { HybridSender } from '../../src/session/hybrid-sender.js';
import { OutOfSessionTokenRequest } from '../../src/session/out-of-session.js';
import type { AppSigningAlgorithm } from '../../src/jwt/keys.js';

const ACT = { sub: 'user-7f3a', email: 'alice@example.test' };
const AGENT = 'finance-agent';
const API = 'https://api.example.test/finance';
const ENDPOINT = 'https://agent.example.test/invoke';

const pairs: Record<AppSigningAlgorithm, { privateKey: KeyObject; publicKey: KeyObject }> = {
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
};
const adapter = { requestToken: async () => undefined } as never;

describe('HybridSender.prepareActAssertion', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('%s: names the agent, addressed to the API (and the agent), kid in the header; verifies with publicJwks', async (alg) => {
    const sender = new HybridSender({ privateKey: pairs[alg].privateKey, algorithm: alg });
    const jwks = await sender.publicJwks();
    expect(jwks.keys).toHaveLength(1);
    const [jwk] = jwks.keys;
    expect(jwk).toMatchObject({ alg, use: 'sig' });
    expect(jwk!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // RFC 7638 SHA-256 thumbprint
    expect(jwk).not.toHaveProperty('d');

    const jwt = await sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API, agentEndpoint: ENDPOINT, ttlSeconds: 30 });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg, typ: 'JWT', kid: jwk!.kid });
    const { payload } = await jwtVerify(jwt, await importJWK(jwk!, alg), { audience: API, algorithms: [alg] });
    expect(payload).toMatchObject({ iss: 'application', sub: 'application', aud: [ENDPOINT, API], azp: AGENT, act: ACT });
    expect((payload.exp as number) - (payload.iat as number)).toBe(30);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const apiOnly = decodeJwt(await sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API }));
    expect(apiOnly.aud).toBe(API);
    expect((apiOnly.exp as number) - (apiOnly.iat as number)).toBe(60);
  });

  it('a configured kid is used in the header and the JWKS', async () => {
    const sender = new HybridSender({ privateKey: pairs.ES256.privateKey, algorithm: 'ES256', kid: 'app-2026-01' });
    expect((await sender.publicJwks()).keys[0]!.kid).toBe('app-2026-01');
    expect(decodeProtectedHeader(await sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API })).kid).toBe('app-2026-01');
  });

  it('the reference act JWT keeps its bytes: RS256, no kid, aud = the agent endpoint, no azp', async () => {
    const jwt = await new HybridSender({ privateKey: pairs.RS256.privateKey }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT });
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(Object.keys(decodeJwt(jwt))).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'act']);
  });

  it('refuses a key that does not fit the algorithm, and bad parameters', async () => {
    expect(thrown(() => new HybridSender({ privateKey: pairs.RS256.privateKey, algorithm: 'ES256' })).message).toBe('Cannot load private key: ValueError');
    expect(thrown(() => new HybridSender({ privateKey: pairs.ES256.privateKey, algorithm: 'EdDSA' })).code).toBe('ERR_KEY_LOAD');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(thrown(() => new HybridSender({ privateKey: p384, algorithm: 'ES256' })).code).toBe('ERR_KEY_LOAD');
    expect(thrown(() => new HybridSender({ privateKey: pairs.RS256.privateKey, algorithm: 'HS256' as never })).code).toBe('ERR_INVALID_ARGUMENT');
    const sender = new HybridSender({ privateKey: pairs.EdDSA.privateKey, algorithm: 'EdDSA' });
    expect((await rejection(sender.prepareActAssertion({ act: ACT, agentId: '', apiAudience: API }))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejection(sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: '' }))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejection(sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API, agentEndpoint: 'http://agent' }))).code).toBe('ERR_INSECURE_URL');
    expect((await rejection(sender.prepareActAssertion({ act: {} as never, agentId: AGENT, apiAudience: API }))).code).toBe('ERR_INVALID_ACT');
    expect((await rejection(sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API, ttlSeconds: 0 }))).code).toBe('ERR_CONFIGURATION');
    expect((await rejection(new HybridSender().prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API }))).code).toBe('ERR_KEY_LOAD');
    await expect(new HybridSender().publicJwks()).rejects.toMatchObject({ code: 'ERR_KEY_LOAD' });
  });
});

describe('OutOfSessionTokenRequest: an assertion addressed to the agent and the API', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)('%s: verified with the algorithms option, then forwarded unchanged', async (alg) => {
    const sender = new HybridSender({ privateKey: pairs[alg].privateKey, algorithm: alg });
    const agent = new OutOfSessionTokenRequest({ adapter, appPublicKey: pairs[alg].publicKey, algorithms: [alg] });
    const jwt = await sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API, agentEndpoint: ENDPOINT });
    expect(await agent.receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: ENDPOINT, agentId: AGENT })).toEqual(ACT);
  });

  it('refuses an assertion for another agent, one not addressed to it, and a replay at the agent', async () => {
    const sender = new HybridSender({ privateKey: pairs.ES256.privateKey, algorithm: 'ES256' });
    const agent = new OutOfSessionTokenRequest({ adapter, appPublicKey: pairs.ES256.publicKey, algorithms: ['ES256', 'RS256'] });
    const forOther = await sender.prepareActAssertion({ act: ACT, agentId: 'other-agent', apiAudience: API, agentEndpoint: ENDPOINT });
    const error = await rejection(agent.receiveAndVerifyActJwt({ actJwt: forOther, expectedAudience: ENDPOINT, agentId: AGENT }));
    expect(error).toMatchObject({ code: 'ERR_ACT_INVALID', message: 'Act JWT names another agent' });
    const apiOnly = await sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API });
    expect((await rejection(agent.receiveAndVerifyActJwt({ actJwt: apiOnly, expectedAudience: ENDPOINT }))).code).toBe('ERR_ACT_AUDIENCE');
    const jwt = await sender.prepareActAssertion({ act: ACT, agentId: AGENT, apiAudience: API, agentEndpoint: ENDPOINT });
    await agent.receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: ENDPOINT, agentId: AGENT });
    expect((await rejection(agent.receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: ENDPOINT, agentId: AGENT }))).code).toBe('ERR_ACT_REPLAY');
  });

  it('RS256 only by default (the reference): an EC or Ed25519 key is refused; an RS256 key with ES256 only too', () => {
    for (const key of [pairs.ES256.publicKey, pairs.EdDSA.publicKey]) {
      expect(thrown(() => new OutOfSessionTokenRequest({ adapter, appPublicKey: key })).message).toBe('Cannot load public key: ValueError');
    }
    expect(thrown(() => new OutOfSessionTokenRequest({ adapter, appPublicKey: pairs.RS256.publicKey, algorithms: ['ES256'] })).code).toBe('ERR_KEY_LOAD');
    expect(thrown(() => new OutOfSessionTokenRequest({ adapter, appPublicKey: pairs.RS256.publicKey, algorithms: ['HS256' as never] })).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('an ES256 signature is not accepted by an RS256 agent (no algorithm confusion)', async () => {
    const jwt = await new HybridSender({ privateKey: pairs.ES256.privateKey, algorithm: 'ES256' }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT });
    const agent = new OutOfSessionTokenRequest({ adapter, appPublicKey: pairs.RS256.publicKey });
    expect((await rejection(agent.receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: ENDPOINT }))).message).toBe('Act JWT invalid: InvalidAlgorithmError');
  });
});
