/**
 * EntraID hybrid: the access token names the agent, the X-Act-Assertion (RS256,
 * the app's key) names the human. Both verified; with bindAgentToken the
 * assertion is bound to its access token by `ath`.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import { computeAth, createDualSubjectVerifier, httpStatusFor, type VerifyOptions } from '../../src/verify/index.js';
import { makeSigningKey, now, sign, startJwksServer, type JwksServer, type SigningKey } from './helpers.js';
import { malleatedCopies } from '../helpers/malleate.js';

const AUDIENCE = 'api://finance-api';
const APP_ID = 'app-1111';
let server: JwksServer;
let tokenKey: SigningKey;
let issuer: string;
let app: { privateKey: KeyObject; publicKeyPem: string };
let forger: { privateKey: KeyObject };

beforeAll(async () => {
  tokenKey = await makeSigningKey('RS256');
  server = await startJwksServer([tokenKey.publicJwk]);
  issuer = `${server.origin}/tenant-1/v2.0`;
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  app = { privateKey: pair.privateKey, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string };
  forger = { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
});
afterAll(async () => server?.close());

function options(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    vendor: 'entraid',
    issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    ca: server.caCert,
    actAssertionKey: app.publicKeyPem,
    ...extra,
  };
}

async function accessToken(extra: JWTPayload = {}): Promise<string> {
  const t = now();
  return sign({ iss: issuer, aud: AUDIENCE, sub: 'sp-object-id', appid: 'agent-client-id', roles: ['Finance.Read'], iat: t, exp: t + 3600, ...extra }, tokenKey);
}

/** As the reference signs it: iss = sub = app id, aud, iat, exp = iat + 300, jti, act. */
async function assertion(extra: JWTPayload = {}, key: KeyObject = app.privateKey, alg = 'RS256'): Promise<string> {
  const t = now();
  return new SignJWT({ iss: APP_ID, sub: APP_ID, aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID(), act: { sub: 'user-oid-1', oid: 'user-oid-1', email: 'bob@example.test' }, ...extra })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .sign(key);
}

async function rejection(promise: Promise<unknown>): Promise<DualAuthError> {
  const error = await promise.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(error).toBeInstanceOf(DualAuthError);
  expect(httpStatusFor(error)).toBe(401);
  expect((error as Error).message).not.toMatch(/bob|example\.test|eyJ/);
  return error as DualAuthError;
}

describe('EntraID: access token + X-Act-Assertion', () => {
  it('accepts: agent from appid and roles, human from the verified assertion', async () => {
    const verify = createDualSubjectVerifier(options({ actAssertionIssuer: APP_ID }));
    const identity = await verify(await accessToken(), { actAssertion: await assertion() });
    expect(identity.agent).toMatchObject({ id: 'agent-client-id', roles: ['Finance.Read'], scopes: [] });
    expect(identity.human).toEqual({ id: 'user-oid-1', oid: 'user-oid-1', email: 'bob@example.test' });
    expect(identity.actAssertionClaims?.iss).toBe(APP_ID);
  });

  it('v2 tokens: agent from azp', async () => {
    const identity = await createDualSubjectVerifier(options())(await accessToken({ appid: undefined, azp: 'agent-v2' }), { actAssertion: await assertion() });
    expect(identity.agent.id).toBe('agent-v2');
  });

  it('ignores an act claim in the access token: the human comes only from the assertion', async () => {
    const verify = createDualSubjectVerifier(options());
    const error = await rejection(verify(await accessToken({ act: { sub: 'someone' } })));
    expect(error.code).toBe('ERR_ACT_ASSERTION_MISSING');
  });

  const cases: Array<[string, () => Promise<string | undefined>, string]> = [
    ['missing assertion', async () => undefined, 'ERR_ACT_ASSERTION_MISSING'],
    ['malformed assertion', async () => 'garbage', 'ERR_ACT_ASSERTION_INVALID'],
    ['forged (signed with another key)', () => assertion({}, forger.privateKey), 'ERR_ACT_ASSERTION_INVALID'],
    ['expired', () => assertion({ iat: now() - 700, exp: now() - 400 }), 'ERR_ACT_ASSERTION_INVALID'],
    ['too old (iat beyond max age)', () => assertion({ iat: now() - 1000, exp: now() + 60 }), 'ERR_ACT_ASSERTION_INVALID'],
    ['long-lived (exp - iat > max age)', () => assertion({ exp: now() + 86_400 }), 'ERR_ACT_ASSERTION_INVALID'],
    ['no exp', () => assertion({ exp: undefined }), 'ERR_ACT_ASSERTION_INVALID'],
    ['other audience', () => assertion({ aud: 'api://other-api' }), 'ERR_ACT_ASSERTION_INVALID'],
    ['no act', () => assertion({ act: undefined }), 'ERR_ACT_ASSERTION_INVALID'],
    ['act without sub', () => assertion({ act: { oid: 'x' } }), 'ERR_ACT_ASSERTION_INVALID'],
    [
      'HS256 keyed with the app public key PEM',
      async () => {
        const t = now();
        return new SignJWT({ aud: AUDIENCE, iat: t, exp: t + 60, act: { sub: 'evil' } }).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(app.publicKeyPem));
      },
      'ERR_ACT_ASSERTION_INVALID',
    ],
  ];
  for (const [name, make, code] of cases) {
    it(`${name} -> ${code}`, async () => {
      const error = await rejection(createDualSubjectVerifier(options())(await accessToken(), { actAssertion: await make() }));
      expect(error.code).toBe(code);
    });
  }

  it('refuses every altered encoding of a valid assertion, and a whitespace-only act.sub', async () => {
    const verify = createDualSubjectVerifier(options());
    const token = await accessToken();
    const valid = await assertion();
    expect((await verify(token, { actAssertion: valid })).human.id).toBe('user-oid-1');
    for (const [name, copy] of malleatedCopies(valid)) {
      const error = await rejection(verify(token, { actAssertion: copy }));
      expect([name, error.code, error.message]).toEqual([name, 'ERR_ACT_ASSERTION_INVALID', 'Act assertion is malformed']);
    }
    const blank = await rejection(verify(token, { actAssertion: await assertion({ act: { sub: '  ' } }) }));
    expect(blank.code).toBe('ERR_ACT_ASSERTION_INVALID');
  });

  it('wrong assertion issuer when actAssertionIssuer is set', async () => {
    const error = await rejection(createDualSubjectVerifier(options({ actAssertionIssuer: APP_ID }))(await accessToken(), { actAssertion: await assertion({ iss: 'other-app' }) }));
    expect(error.code).toBe('ERR_ACT_ASSERTION_INVALID');
  });

  it('actAssertionMaxAgeSeconds tightens the window', async () => {
    const verify = createDualSubjectVerifier(options({ actAssertionMaxAgeSeconds: 60, clockToleranceSeconds: 0 }));
    await rejection(verify(await accessToken(), { actAssertion: await assertion() })); // exp - iat = 300 > 60
    const t = now();
    await verify(await accessToken(), { actAssertion: await assertion({ iat: t, exp: t + 60 }) });
  });

  it('actAssertionAudience, when given, is the only aud an assertion may carry (the API audience no longer passes)', async () => {
    const ASSERTIONS = 'https://assertions.finance.example';
    const verify = createDualSubjectVerifier(options({ actAssertionAudience: ASSERTIONS }));
    const token = await accessToken();
    expect((await verify(token, { actAssertion: await assertion({ aud: ASSERTIONS }) })).human.id).toBe('user-oid-1');
    for (const aud of [AUDIENCE, 'api://other-api']) {
      const error = await rejection(verify(token, { actAssertion: await assertion({ aud }) }));
      expect([aud, error.code, error.message]).toEqual([aud, 'ERR_ACT_ASSERTION_INVALID', 'Act assertion audience is not accepted']);
    }
    // With audience a list, actAssertionAudience names the one the assertion must carry.
    const listed = createDualSubjectVerifier(options({ audience: [AUDIENCE, 'api://second'], actAssertionAudience: ASSERTIONS }));
    expect((await listed(token, { actAssertion: await assertion({ aud: ASSERTIONS }) })).human.id).toBe('user-oid-1');
  });

  it('configuration: the app key and an audience are required', () => {
    expect(() => createDualSubjectVerifier(options({ actAssertionKey: undefined }))).toThrow(/actAssertionKey/);
    expect(() => createDualSubjectVerifier(options({ audience: ['a', 'b'] }))).toThrow(/actAssertionAudience/);
    expect(() => createDualSubjectVerifier(options({ actAssertionKey: 'not a pem' }))).toThrow(/PEM/);
  });
});

describe('EntraID: bindAgentToken', () => {
  it('computeAth is base64url(SHA-256(token)) (RFC 9449 example)', () => {
    // RFC 9449 §7.1: the access token "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU" has ath "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo".
    expect(computeAth('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    expect(() => computeAth('')).toThrow(DualAuthError);
  });

  it('accepts an assertion bound to its token', async () => {
    const token = await accessToken();
    const identity = await createDualSubjectVerifier(options({ bindAgentToken: true }))(token, { actAssertion: await assertion({ ath: computeAth(token) }) });
    expect(identity.human.id).toBe('user-oid-1');
  });

  it('refuses an assertion replayed with another token', async () => {
    const tokenA = await accessToken({ appid: 'agent-a' });
    const tokenB = await accessToken({ appid: 'agent-b' });
    const boundToA = await assertion({ ath: computeAth(tokenA) });
    const verify = createDualSubjectVerifier(options({ bindAgentToken: true }));
    await verify(tokenA, { actAssertion: boundToA });
    const error = await rejection(verify(tokenB, { actAssertion: boundToA }));
    expect(error.code).toBe('ERR_ACT_ASSERTION_INVALID');
    expect(error.message).toMatch(/ath/);
  });

  it('refuses an unbound assertion when binding is on; accepts it when off (reference default)', async () => {
    const token = await accessToken();
    const unbound = await assertion();
    const bound = createDualSubjectVerifier(options({ bindAgentToken: true }));
    for (const ath of [undefined, 12, computeAth(`${token}x`), computeAth(token).slice(0, 20), `${computeAth(token)}A`]) {
      const error = await rejection(bound(token, { actAssertion: await assertion(ath === undefined ? {} : { ath }) }));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_ACT_ASSERTION_INVALID', message: 'Act assertion is not bound to this access token (ath)' });
    }
    const identity = await createDualSubjectVerifier(options())(token, { actAssertion: unbound });
    expect(identity.human.id).toBe('user-oid-1');
  });
});
