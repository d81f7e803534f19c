import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ActVerificationError,
  DualAuthError,
  HybridSender,
  InSessionTokenRequest,
  KeycloakAdapter,
  MemoryReplayCache,
  OutOfSessionTokenRequest,
  TokenCache,
  TokenRequestError,
  TokenResponse,
  UserSession,
  tokenCacheKey,
  type TokenStore,
} from '../../src/index.js';
import { tokenLifetimeMs } from '../../src/session/token-cache.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { decodeJwt, json, startTestServer, type TestServer } from '../helpers/https-server.js';
import { malleatedCopies } from '../helpers/malleate.js';

const EMAIL = 'bob.session@corp.example';
const NAME = 'Bob Session';
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
markSensitive(EMAIL, NAME, SECRET);
const AGENT = 'https://agent.example.com/invoke';

const dir = mkdtempSync(join(tmpdir(), 'dual-auth-session-'));
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePath = join(dir, 'app-private-key.pem');
const publicPath = join(dir, 'app-public-key.pem');
const privatePem = app.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const publicPem = app.publicKey.export({ type: 'spki', format: 'pem' }) as string;
writeFileSync(privatePath, privatePem, { mode: 0o600 });
writeFileSync(publicPath, publicPem);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((_, res) => json(res, 200, { access_token: 'session-access-token-value' }));
  markSensitive('session-access-token-value');
});
afterAll(() => server.close());

const adapter = () =>
  new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET }, { ca: server.caCert });

function receiver(extra: Record<string, unknown> = {}) {
  return new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKeyPath: publicPath, logger: auditLogger(), ...extra });
}

const sender = new HybridSender({ privateKeyPem: privatePath, logger: auditLogger() });
const act = { sub: 'user-123', email: EMAIL, name: NAME };

async function signed(claims: Record<string, unknown>, key = app.privateKey, header: Record<string, unknown> = { alg: 'RS256' }) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({ iss: 'application', sub: 'application', aud: AGENT, exp: now + 60, iat: now, jti: randomBytes(8).toString('hex'), act, ...claims })
    .setProtectedHeader(header as { alg: string })
    .sign(key);
  markSensitive(jwt);
  return jwt;
}

describe('UserSession and extractActFromSession', () => {
  it('builds act from a UserSession (object or Python positional form)', () => {
    expect(sender.extractActFromSession(new UserSession({ userEmail: EMAIL, userName: NAME, userId: 'u-1' }))).toEqual({ sub: 'u-1', email: EMAIL, name: NAME });
    expect(sender.extractActFromSession(new UserSession(EMAIL))).toEqual({ sub: EMAIL, email: EMAIL });
  });

  it('reads session dicts and OIDC claims, keeping oid', () => {
    expect(sender.extractActFromSession({ user_email: EMAIL, display_name: NAME, uid: 'u-2' })).toEqual({ sub: 'u-2', email: EMAIL, name: NAME });
    expect(sender.extractActFromSession({ mail: EMAIL, sub: 's-1', displayName: NAME })).toEqual({ sub: 's-1', email: EMAIL, name: NAME });
    expect(sender.extractActFromSession({ userPrincipalName: EMAIL, oid: 'oid-9', name: NAME })).toEqual({ sub: 'oid-9', email: EMAIL, name: NAME, oid: 'oid-9' });
    expect(sender.extractActFromSession({ email: EMAIL, sub: 'pairwise', oid: 'oid-9' })).toEqual({ sub: 'pairwise', email: EMAIL, oid: 'oid-9' });
  });

  it('requires an email and an object', () => {
    expect(thrown(() => sender.extractActFromSession({ sub: 'x' })).message).toBe('Session must contain email');
    expect(thrown(() => sender.extractActFromSession(new UserSession({ userEmail: '' }))).message).toBe('Session must contain email');
    expect(thrown(() => sender.extractActFromSession('alice' as never)).message).toBe('Session must be UserSession or dictionary');
    expect(thrown(() => sender.extractActFromSession({ email: ['x'] })).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('a UserSession never prints the email or the name, by any route, and still reads them', () => {
    const session = new UserSession({ userEmail: EMAIL, userName: NAME, userId: 'u-1' });
    const printed = [
      inspect(session),
      inspect(session, { showHidden: true, depth: 5 }),
      JSON.stringify(session),
      JSON.stringify({ ...session }),
      JSON.stringify([session]),
      String(session),
      `${session}`,
    ];
    for (const text of printed) {
      expect(text).not.toContain(EMAIL);
      expect(text).not.toContain(NAME);
    }
    expect(inspect(session)).toBe('UserSession(user_id=u-1, user_email=***REDACTED***, user_name=***REDACTED***)');
    expect(JSON.parse(JSON.stringify(session))).toEqual({ userId: 'u-1' });
    expect({ ...session }).toEqual({});
    expect([session.userEmail, session.userName, session.userId]).toEqual([EMAIL, NAME, 'u-1']);
    expect('userEmail' in session).toBe(true);
    expect(String(new UserSession(EMAIL))).toBe('UserSession(user_id=None, user_email=***REDACTED***, user_name=None)');
    // An email as the id is shown as logs show it.
    const byEmail = new UserSession({ userEmail: EMAIL, userId: EMAIL });
    for (const text of [inspect(byEmail), JSON.stringify(byEmail), JSON.stringify({ ...byEmail })]) expect(text).not.toContain(EMAIL);
  });

  it('a session serialised and read back, or its printed placeholders, never pass for a person', () => {
    const restored = JSON.parse(JSON.stringify(new UserSession({ userEmail: EMAIL, userName: NAME, userId: 'u-1' })));
    expect(thrown(() => sender.extractActFromSession(restored)).message).toBe('Session must contain email');
    for (const placeholder of [{ userEmail: '***REDACTED***', userId: 'u-1' }, { email: EMAIL, name: '***REDACTED***' }, { email: EMAIL, sub: '***REDACTED***' }]) {
      const error = thrown(() => sender.extractActFromSession(placeholder));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_INVALID_ARGUMENT', message: 'Session identity fields are redacted placeholders, not the person' });
    }
  });

  it('prepareInSessionAct returns the act unchanged', () => {
    expect(sender.prepareInSessionAct(act)).toBe(act);
  });
});

describe('HybridSender out-of-session', () => {
  it('signs RS256 with the Python claims and order, no kid', async () => {
    const jwt = await sender.prepareOutOfSessionAct({ act, agentEndpoint: AGENT, ttlSeconds: 45 });
    markSensitive(jwt);
    const { header, payload } = decodeJwt(jwt);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'act']);
    expect(payload).toMatchObject({ iss: 'application', sub: 'application', aud: AGENT, act });
    expect((payload.exp as number) - (payload.iat as number)).toBe(45);
  });

  it('accepts the PEM text itself, the Python positional form, and kid/issuer/nbf options', async () => {
    const custom = new HybridSender({ privateKeyPem: privatePem, kid: 'app-1', issuer: 'finance-web', notBefore: true });
    const jwt = await custom.prepareOutOfSessionAct(act, AGENT);
    markSensitive(jwt);
    const { header, payload } = decodeJwt(jwt);
    expect(header.kid).toBe('app-1');
    expect(payload.iss).toBe('finance-web');
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp as number) - (payload.iat as number)).toBe(60);
  });

  it('refuses without a key, without act.sub, and for a non-https endpoint', async () => {
    expect((await rejection(new HybridSender().prepareOutOfSessionAct({ act, agentEndpoint: AGENT }))).message).toBe(
      'HybridSender not configured for out-of-session - initialize with private_key_pem parameter',
    );
    expect((await rejection(sender.prepareOutOfSessionAct({ act: { email: EMAIL } as never, agentEndpoint: AGENT }))).message).toBe("Act must contain 'sub' field");
    expect((await rejection(sender.prepareOutOfSessionAct({ act, agentEndpoint: 'http://agent.example.com' }))).message).toBe(
      'Agent endpoint must use HTTPS for security',
    );
  });

  it('a missing or bad key file gives the Python text', () => {
    expect(thrown(() => new HybridSender({ privateKeyPem: join(dir, 'none.pem') })).message).toBe('Cannot load private key: FileNotFoundError');
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(thrown(() => new HybridSender({ privateKeyPem: bad })).message).toBe('Cannot load private key: ValueError');
  });
});

describe('OutOfSessionTokenRequest.receiveAndVerifyActJwt', () => {
  it('round trip: verifies and returns the act, then refuses the replay', async () => {
    const jwt = await sender.prepareOutOfSessionAct({ act, agentEndpoint: AGENT });
    markSensitive(jwt);
    const verifier = receiver();
    expect(await verifier.receiveAndVerifyActJwt({ actJwt: jwt, expectedAudience: AGENT })).toEqual(act);
    const replay = await rejection(verifier.receiveAndVerifyActJwt(jwt, AGENT));
    expect(replay).toBeInstanceOf(ActVerificationError);
    expect(replay.message).toBe('Act JWT replay detected');
    expect(replay.code).toBe('ERR_ACT_REPLAY');
  });

  const cases: Array<[string, () => Promise<string>, string, string]> = [
    ['wrong audience', () => signed({ aud: 'https://other.example.com' }), 'Act JWT invalid audience', 'ERR_ACT_AUDIENCE'],
    ['expired', () => signed({ exp: Math.floor(Date.now() / 1000) - 5 }), 'Act JWT expired', 'ERR_ACT_EXPIRED'],
    ['signed with another key', () => signed({}, other.privateKey), 'Act JWT signature invalid', 'ERR_ACT_SIGNATURE'],
    ['without act.sub', () => signed({ act: { email: EMAIL } }), 'Act JWT must contain act.sub', 'ERR_ACT_MISSING_SUB'],
    ['with a non-string act.sub', () => signed({ act: { sub: 7 } }), 'Act JWT must contain act.sub', 'ERR_ACT_MISSING_SUB'],
    ['with a whitespace-only act.sub', () => signed({ act: { sub: ' \t ' } }), 'Act JWT must contain act.sub', 'ERR_ACT_MISSING_SUB'],
    ['without exp', () => signed({ exp: undefined }), 'Act JWT invalid: MissingRequiredClaimError', 'ERR_ACT_INVALID'],
    ['without aud', () => signed({ aud: undefined }), 'Act JWT invalid: MissingRequiredClaimError', 'ERR_ACT_INVALID'],
    ['not yet valid', () => signed({ nbf: Math.floor(Date.now() / 1000) + 600 }), 'Act JWT invalid: ImmatureSignatureError', 'ERR_ACT_INVALID'],
    ['alg none', async () => new UnsecuredJWT({ aud: AGENT, exp: Math.floor(Date.now() / 1000) + 60, jti: 'j', act }).encode(), 'Act JWT invalid: InvalidAlgorithmError', 'ERR_ACT_INVALID'],
    [
      'HS256 keyed with the public key',
      () => signed({}, createPublicKey(publicPem).export({ type: 'spki', format: 'pem' }) as never, { alg: 'HS256' }).catch(async () =>
        new SignJWT({ aud: AGENT, exp: Math.floor(Date.now() / 1000) + 60, jti: 'j', act }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(publicPem)),
      ),
      'Act JWT invalid: InvalidAlgorithmError',
      'ERR_ACT_INVALID',
    ],
    [
      'a tampered payload',
      async () => {
        const [h, , s] = (await signed({})).split('.');
        const forged = Buffer.from(JSON.stringify({ aud: AGENT, exp: Math.floor(Date.now() / 1000) + 60, jti: 'x', act: { sub: 'admin' } })).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
      'Act JWT signature invalid',
      'ERR_ACT_SIGNATURE',
    ],
    ['issued in the future', () => signed({ iat: Math.floor(Date.now() / 1000) + 600 }), 'Act JWT invalid: ImmatureSignatureError', 'ERR_ACT_INVALID'],
    ['garbage', async () => 'not.a.jwt', 'Act JWT invalid: DecodeError', 'ERR_ACT_INVALID'],
    ['a 1 MB token', async () => 'a'.repeat(1024 * 1024), 'Act JWT invalid: DecodeError', 'ERR_ACT_INVALID'],
    ['not a string', async () => ({}) as never, 'Act JWT invalid: DecodeError', 'ERR_ACT_INVALID'],
  ];

  it.each(cases)('refuses a JWT %s', async (_name, make, message, code) => {
    const error = await rejection(receiver().receiveAndVerifyActJwt({ actJwt: await make(), expectedAudience: AGENT }));
    expect(error).toBeInstanceOf(ActVerificationError);
    expect(error.message).toBe(message);
    expect(error.code).toBe(code);
  });

  it('refuses every altered encoding of a valid JWT (strict base64url, RFC 7515 §2)', async () => {
    const verifier = receiver();
    for (const [name, copy] of malleatedCopies(await signed({}))) {
      const error = await rejection(verifier.receiveAndVerifyActJwt(copy, AGENT));
      expect([name, error.code, error.message]).toEqual([name, 'ERR_ACT_INVALID', 'Act JWT invalid: DecodeError']);
    }
  });

  it('checks iss when asked, accepts clock skew when asked', async () => {
    const jwt = await signed({ iss: 'someone-else' });
    expect((await rejection(receiver({ expectedIssuer: 'application' }).receiveAndVerifyActJwt(jwt, AGENT))).code).toBe('ERR_ACT_ISSUER');
    const stale = await signed({ exp: Math.floor(Date.now() / 1000) - 5 });
    expect(await receiver({ clockToleranceSeconds: 30 }).receiveAndVerifyActJwt(stale, AGENT)).toEqual(act);
  });

  it('accepts the public key as PEM text, and the Python positional constructor', async () => {
    const jwt = await signed({});
    expect(await new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: publicPem }).receiveAndVerifyActJwt(jwt, AGENT)).toEqual(act);
    expect(await new OutOfSessionTokenRequest(adapter(), publicPath).receiveAndVerifyActJwt(await signed({}), AGENT)).toEqual(act);
  });

  it('refuses a missing or non-RSA public key with the Python texts', () => {
    expect(thrown(() => new OutOfSessionTokenRequest(adapter(), join(dir, 'nope.pem'))).message).toBe('Cannot load public key: FileNotFoundError');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: ec })).message).toBe('Cannot load public key: ValueError');
    const ecKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: ecKeys.publicKey })).message).toBe('Cannot load public key: ValueError');
    expect(thrown(() => new HybridSender({ privateKey: ecKeys.privateKey })).message).toBe('Cannot load private key: ValueError');
  });

  it('accepts the public key as a KeyObject, or derives it from a private one', async () => {
    expect(await new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: app.publicKey }).receiveAndVerifyActJwt(await signed({}), AGENT)).toEqual(act);
    expect(await new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: app.privateKey }).receiveAndVerifyActJwt(await signed({}), AGENT)).toEqual(act);
  });
});

describe('the replay window is the acceptance window', () => {
  it('a JWT accepted within the clock tolerance after exp is accepted once (moved clock)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const start = Date.now();
      const jwt = await signed({}); // exp = iat + 60
      vi.setSystemTime(start + (60 + 90) * 1000); // expired 90 s ago, inside a 120 s tolerance
      const verifier = receiver({ clockToleranceSeconds: 120 });
      expect(await verifier.receiveAndVerifyActJwt(jwt, AGENT)).toEqual(act);
      for (const seconds of [90, 100, 119]) {
        vi.setSystemTime(start + (60 + seconds) * 1000);
        expect((await rejection(verifier.receiveAndVerifyActJwt(jwt, AGENT))).code).toBe('ERR_ACT_REPLAY');
      }
      vi.setSystemTime(start + (60 + 121) * 1000);
      expect((await rejection(verifier.receiveAndVerifyActJwt(jwt, AGENT))).code).toBe('ERR_ACT_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('a custom ReplayCache is handed the end of the acceptance window: exp + clockToleranceSeconds', async () => {
    const handed: Array<[string, number]> = [];
    const replayCache = { checkAndStore: (jti: string, expiresAt: number) => (handed.push([jti, expiresAt]), true) };
    const jwt = await signed({});
    await receiver({ replayCache, clockToleranceSeconds: 120 }).receiveAndVerifyActJwt(jwt, AGENT);
    const { payload } = decodeJwt(jwt);
    expect(handed).toEqual([[payload.jti, (payload.exp as number) + 120]]);
  });
});

describe('act JWT limits', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it.each([
    ['without iat (fixed key)', () => signed({ iat: undefined }), 'Act JWT invalid: MissingRequiredClaimError'],
    ['living ten years', () => signed({ exp: nowSeconds() + 10 * 365 * 86400 }), 'Act JWT invalid: lifetime too long'],
    ['living 301 s (the reference signs up to 300 s without a warning)', () => signed({ exp: nowSeconds() + 301 }), 'Act JWT invalid: lifetime too long'],
    ['with a jti that is an object', () => signed({ jti: { id: 1 } }), 'Act JWT invalid: InvalidJTIError'],
    ['with a numeric jti', () => signed({ jti: 7 }), 'Act JWT invalid: InvalidJTIError'],
    ['with an empty jti', () => signed({ jti: '' }), 'Act JWT invalid: InvalidJTIError'],
    ['with a 129-character jti', () => signed({ jti: 'j'.repeat(129) }), 'Act JWT invalid: InvalidJTIError'],
  ])('refuses a JWT %s', async (_name, make, message) => {
    const error = await rejection(receiver().receiveAndVerifyActJwt(await make(), AGENT));
    expect([error.message, error.code]).toEqual([message, 'ERR_ACT_INVALID']);
  });

  it('a jti that is not a string can no longer be replayed', async () => {
    const jwt = await signed({ jti: { id: 1 } });
    const verifier = receiver();
    for (let i = 0; i < 3; i++) expect((await rejection(verifier.receiveAndVerifyActJwt(jwt, AGENT))).code).toBe('ERR_ACT_INVALID');
  });

  it('accepts 300 s by default and longer lifetimes with maxLifetimeSeconds', async () => {
    expect(await receiver().receiveAndVerifyActJwt(await signed({ exp: nowSeconds() + 300 }), AGENT)).toEqual(act);
    const hour = await signed({ exp: nowSeconds() + 3600 });
    expect(await receiver({ maxLifetimeSeconds: 3600 }).receiveAndVerifyActJwt(hour, AGENT)).toEqual(act);
  });

  it('a full cache costs no scan per call', () => {
    const size = 100_000;
    const cache = new MemoryReplayCache({ maxEntries: size, now: () => 1_000 });
    for (let i = 0; i < size; i++) cache.checkAndStore(`jti-${i}`, 1_300);
    const started = performance.now();
    let refused = 0;
    for (let i = 0; i < 1_000; i++) {
      try {
        cache.checkAndStore(`new-${i}`, 1_300);
      } catch {
        refused++;
      }
    }
    expect(refused).toBe(1_000);
    // A scan of 100 000 entries per call took ~2.8 ms each (2.8 s here); without one this is well under 1 ms in total.
    expect(performance.now() - started).toBeLessThan(250);
  });
});

describe('replay memory stays bounded', () => {
  it('forgets a jti once its JWT has expired', () => {
    let now = 1_000;
    const cache = new MemoryReplayCache({ graceSeconds: 0, now: () => now });
    for (let i = 0; i < 1000; i++) expect(cache.checkAndStore(`jti-${i}`, now + 60)).toBe(true);
    expect(cache.checkAndStore('jti-5', now + 60)).toBe(false);
    now += 61;
    expect(cache.checkAndStore('fresh', now + 60)).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.checkAndStore('jti-5', now + 60)).toBe(true);
  });

  it('refuses rather than forgets when full of unexpired jtis', async () => {
    const cache = new MemoryReplayCache({ maxEntries: 2 });
    const verifier = receiver({ replayCache: cache });
    await verifier.receiveAndVerifyActJwt(await signed({}), AGENT);
    await verifier.receiveAndVerifyActJwt(await signed({}), AGENT);
    expect((await rejection(verifier.receiveAndVerifyActJwt(await signed({}), AGENT))).message).toBe('Act JWT replay cache full');
  });

  it('refuses (fails closed) when a shared replay store cannot answer, and logs it', async () => {
    const logger = auditLogger();
    const unreachable = { checkAndStore: async () => Promise.reject(new DualAuthError('Redis replay store unavailable', 'ERR_REPLAY_STORE_UNAVAILABLE')) };
    const verifier = receiver({ replayCache: unreachable, logger });
    expect((await rejection(verifier.receiveAndVerifyActJwt(await signed({}), AGENT))).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(logger.lines.some((line) => line.includes('jwt_replay_store_unavailable') && line.includes('ERR_REPLAY_STORE_UNAVAILABLE'))).toBe(true);
  });
});

describe('token request handlers', () => {
  it.each([
    [{ agentId: '', act, scope: ['x'] }, 'Invalid inputs: agent_id required'],
    [{ agentId: 'a', act: { email: EMAIL }, scope: ['x'] }, "Invalid inputs: act with 'sub' field required"],
    [{ agentId: 'a', act: null, scope: ['x'] }, "Invalid inputs: act with 'sub' field required"],
    [{ agentId: 'a', act, scope: [] }, 'Invalid inputs: scope required'],
  ])('refuse %j', async (params, message) => {
    for (const handler of [new InSessionTokenRequest(adapter()), receiver()]) {
      const error = await rejection(handler.requestToken(params as never));
      expect(error.message).toBe(message);
    }
  });

  it('pass TokenRequestErrors through and get tokens for both scenarios', async () => {
    server.handle((_, res) => json(res, 200, { access_token: 'session-access-token-value' }));
    const token = await new InSessionTokenRequest(adapter()).requestToken('finance-agent', act, ['finance.read']);
    expect(token.accessToken).toBe('session-access-token-value');
    expect((await receiver().requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'] })).tokenType).toBe('Bearer');
    server.handle((_, res) => json(res, 401, { error: 'unauthorized_client' }));
    const error = await rejection(new InSessionTokenRequest(adapter()).requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'] }));
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).statusCode).toBe(401);
  });

  it('refuse a non-adapter', () => {
    expect(thrown(() => new InSessionTokenRequest({} as never)).code).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('token reuse (cache option)', () => {
  it('reuses a token for the same agent, human and scopes; shares concurrent requests', async () => {
    let issuedCount = 0;
    server.handle((_, res) => json(res, 200, { access_token: `session-access-token-value-${++issuedCount}`, expires_in: 300 }));
    markSensitive('session-access-token-value-1', 'session-access-token-value-2', 'session-access-token-value-3');
    const handler = new InSessionTokenRequest(adapter(), { cache: true });
    const [a, b] = await Promise.all([
      handler.requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'] }),
      handler.requestToken({ agentId: 'finance-agent', act: { name: NAME, email: EMAIL, sub: 'user-123' }, scope: ['finance.read'] }),
    ]);
    expect(a).toBe(b);
    expect(issuedCount).toBe(1);
    await handler.requestToken({ agentId: 'finance-agent', act: { ...act, sub: 'user-456' }, scope: ['finance.read'] });
    await handler.requestToken({ agentId: 'finance-agent', act, scope: ['finance.write'] });
    expect(issuedCount).toBe(3);
  });

  it("one caller's abort fails that caller only: the others sharing its request get the token", async () => {
    let issuedCount = 0;
    let answer: (() => void) | undefined;
    server.handle((_, res) => {
      issuedCount++;
      answer = () => json(res, 200, { access_token: 'session-access-token-value-shared', expires_in: 300 });
    });
    markSensitive('session-access-token-value-shared');
    const handler = new InSessionTokenRequest(adapter(), { cache: true });
    const leaving = new AbortController();
    const first = handler.requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'], signal: leaving.signal });
    const others = [1, 2].map(() => handler.requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'], signal: new AbortController().signal }));
    await vi.waitFor(() => expect(answer).toBeDefined());
    leaving.abort();
    const error = await rejection(first);
    expect({ name: error.name, code: error.code, message: error.message }).toEqual({
      name: 'TokenRequestError',
      code: 'ERR_ABORTED',
      message: 'Network error connecting to Keycloak: AbortError',
    });
    answer!();
    const tokens = await Promise.all(others);
    expect(tokens.map((token) => token.accessToken)).toEqual(['session-access-token-value-shared', 'session-access-token-value-shared']);
    expect(issuedCount).toBe(1);
    // The token the leaving caller asked for is cached for the next one.
    expect((await handler.requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'] })).accessToken).toBe('session-access-token-value-shared');
    expect(issuedCount).toBe(1);
    // A caller that had given up before asking gets its abort at once, and sends nothing.
    const gone = await rejection(handler.requestToken({ agentId: 'finance-agent', act, scope: ['finance.write'], signal: AbortSignal.abort() }));
    expect(gone.code).toBe('ERR_ABORTED');
    expect(issuedCount).toBe(1);
  });

  it('does not reuse a token about to expire, nor a failure', async () => {
    let issuedCount = 0;
    server.handle((_, res) => (++issuedCount === 1 ? json(res, 503, {}) : json(res, 200, { access_token: 'session-access-token-value', expires_in: 10 })));
    const handler = new InSessionTokenRequest(
      new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'a', clientSecret: SECRET }, { ca: server.caCert, retries: 0 }),
      { cache: { skewSeconds: 30 } },
    );
    await rejection(handler.requestToken({ agentId: 'a', act, scope: ['x'] }));
    await handler.requestToken({ agentId: 'a', act, scope: ['x'] });
    await handler.requestToken({ agentId: 'a', act, scope: ['x'] });
    expect(issuedCount).toBe(3);
  });
});

describe('token stores (cache: a TokenStore instance)', () => {
  it('one TokenCache instance shared by two handlers of one IAM client serves both', async () => {
    let issuedCount = 0;
    server.handle((_, res) => json(res, 200, { access_token: `session-access-token-value-${++issuedCount}`, expires_in: 300 }));
    const shared = new TokenCache();
    const first = new InSessionTokenRequest(adapter(), { cache: shared });
    const second = receiver({ cache: shared });
    const a = await first.requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'] });
    const b = await second.requestToken({ agentId: 'finance-agent', act, scope: 'finance.read' });
    expect(b).toBe(a);
    expect(issuedCount).toBe(1);
  });

  it('a custom TokenStore receives the key and the request', async () => {
    server.handle((_, res) => json(res, 200, { access_token: 'session-access-token-value', expires_in: 300 }));
    const keys: string[] = [];
    const store: TokenStore = { getOrRequest: (key, request) => (keys.push(key), request()) };
    await new InSessionTokenRequest(adapter(), { cache: store }).requestToken({ agentId: 'finance-agent', act, scope: ['finance.read'] });
    expect(keys).toEqual([tokenCacheKey(adapter(), { agentId: 'finance-agent', act, scope: ['finance.read'] })]);
  });

  it('refuses a cache option that is neither a boolean, options nor a store', () => {
    expect(thrown(() => new InSessionTokenRequest(adapter(), { cache: 'yes' as never })).code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('the legacy getOrRequest(agentId, act, scopes, request) form still works', async () => {
    const cache = new TokenCache();
    let calls = 0;
    const request = async () => (calls++, new TokenResponse({ accessToken: 'session-access-token-value', tokenType: 'Bearer', expiresIn: 300, scope: 'x' }));
    const a = await cache.getOrRequest('finance-agent', act, ['x'], request);
    expect(await cache.getOrRequest('finance-agent', { ...act }, 'x', request)).toBe(a);
    expect(calls).toBe(1);
  });
});

describe('tokenCacheKey: what makes two token requests interchangeable', () => {
  const base = { agentId: 'finance-agent', act, scope: ['finance.read'] };
  const key = (params: Record<string, unknown>, a = adapter()) => tokenCacheKey(a, params as never);

  it('is equal for equal requests whatever the key order of the act or the form of the scopes', () => {
    expect(key({ ...base, act: { name: NAME, sub: 'user-123', email: EMAIL }, scope: 'finance.read', signal: new AbortController().signal })).toBe(key(base));
  });

  it('differs per person, agent, scopes, IAM client, audience and any added request field', () => {
    const other = new KeycloakAdapter({ tokenUrl: server.url('/realms/other/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET }, { ca: server.caCert });
    const otherClient = new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'other-agent', clientSecret: SECRET }, { ca: server.caCert });
    const keys = [
      key(base),
      key({ ...base, act: { ...act, sub: 'user-456' } }),
      key({ ...base, act: { ...act, email: 'someone.else@corp.example' } }),
      key({ ...base, agentId: 'other-agent' }),
      key({ ...base, scope: ['finance.write'] }),
      key(base, other),
      key(base, otherClient),
      key({ ...base, subjectToken: 'person-a-token-value' }),
      key({ ...base, subjectToken: 'person-b-token-value' }),
      key({ ...base, actAssertion: 'assertion-a-value' }),
      key(base, new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET }, { ca: server.caCert, delegation: 'assertion' })),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps credentials out of the key: subject tokens and assertions are hashed', () => {
    markSensitive('person-a-token-value', 'assertion-a-value');
    const text = key({ ...base, subjectToken: 'person-a-token-value', actAssertion: 'assertion-a-value' });
    expect(text).not.toContain('person-a-token-value');
    expect(text).not.toContain('assertion-a-value');
    expect(text).toContain('sha256:');
  });
});

describe('act JWT keys from a JWKS URL (key rotation)', () => {
  it('picks the key by kid through jose, with the same checks and texts', async () => {
    const { exportJWK } = await import('jose');
    const jwk = { ...(await exportJWK(app.publicKey)), kid: 'app-2026', alg: 'RS256', use: 'sig' };
    const jwks = await startTestServer((_, res) => json(res, 200, { keys: [jwk] }));
    try {
      const verifier = receiver({ appPublicKeyPath: undefined, jwksUri: jwks.url('/jwks.json'), ca: jwks.caCert });
      const rotatingSender = new HybridSender({ privateKeyPem: privatePem, kid: 'app-2026' });
      const jwt = await rotatingSender.prepareOutOfSessionAct({ act, agentEndpoint: AGENT });
      markSensitive(jwt);
      expect(await verifier.receiveAndVerifyActJwt(jwt, AGENT)).toEqual(act);
      expect((await rejection(verifier.receiveAndVerifyActJwt(jwt, AGENT))).code).toBe('ERR_ACT_REPLAY');
      const unknownKid = await signed({}, other.privateKey, { alg: 'RS256', kid: 'someone-else' });
      expect((await rejection(verifier.receiveAndVerifyActJwt(unknownKid, AGENT))).message).toBe('Act JWT signature invalid');
      for (const [name, copy] of malleatedCopies(await signed({}, app.privateKey, { alg: 'RS256', kid: 'app-2026' }))) {
        expect([name, (await rejection(verifier.receiveAndVerifyActJwt(copy, AGENT))).message]).toEqual([name, 'Act JWT invalid: DecodeError']);
      }
      const noIat = await signed({ iat: undefined }, app.privateKey, { alg: 'RS256', kid: 'app-2026' });
      expect((await rejection(verifier.receiveAndVerifyActJwt(noIat, AGENT))).message).toBe('Act JWT invalid: MissingRequiredClaimError');
      const tenYears = await signed({ exp: Math.floor(Date.now() / 1000) + 10 * 365 * 86400 }, app.privateKey, { alg: 'RS256', kid: 'app-2026' });
      expect((await rejection(verifier.receiveAndVerifyActJwt(tenYears, AGENT))).message).toBe('Act JWT invalid: lifetime too long');
      const expired = await signed({ exp: Math.floor(Date.now() / 1000) - 5 }, app.privateKey, { alg: 'RS256', kid: 'app-2026' });
      expect((await rejection(verifier.receiveAndVerifyActJwt(expired, AGENT))).message).toBe('Act JWT expired');
    } finally {
      await jwks.close();
    }
  });
});

describe('act JWT boundaries on a fixed clock (issue 16)', () => {
  const T = 1_900_000_000; // the fixed "now", in seconds
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  /** Both verification paths: one RSA key (node:crypto, src/jwt/compact.ts) and an ES256 key (jose). */
  const paths = [
    ['RS256 key (node:crypto)', (claims: Record<string, unknown>) => signed(claims), (extra: Record<string, unknown> = {}) => receiver(extra)],
    [
      'ES256 key (jose)',
      (claims: Record<string, unknown>) => signed(claims, ec.privateKey, { alg: 'ES256' }),
      (extra: Record<string, unknown> = {}) => receiver({ appPublicKeyPath: undefined, appPublicKey: ec.publicKey, algorithms: ['ES256'], ...extra }),
    ],
  ] as const;

  async function atFixedClock<T>(run: () => Promise<T>): Promise<T> {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000);
    try {
      return await run();
    } finally {
      vi.useRealTimers();
    }
  }

  it.each(paths)('%s: exp = now is expired with clockToleranceSeconds 0; exp = now + 1 is accepted', async (_path, sign, verifier) => {
    await atFixedClock(async () => {
      const error = await rejection(verifier().receiveAndVerifyActJwt(await sign({ iat: T - 60, exp: T }), AGENT));
      expect([error.code, error.message]).toEqual(['ERR_ACT_EXPIRED', 'Act JWT expired']);
      expect(await verifier().receiveAndVerifyActJwt(await sign({ iat: T - 59, exp: T + 1 }), AGENT)).toEqual(act);
      // With a tolerance, the same boundary moves by exactly that much.
      expect((await rejection(verifier({ clockToleranceSeconds: 5 }).receiveAndVerifyActJwt(await sign({ iat: T - 65, exp: T - 5 }), AGENT))).code).toBe('ERR_ACT_EXPIRED');
      expect(await verifier({ clockToleranceSeconds: 5 }).receiveAndVerifyActJwt(await sign({ iat: T - 64, exp: T - 4 }), AGENT)).toEqual(act);
    });
  });

  it.each(paths)('%s: nbf = now and iat = now are valid; one second later they are not yet', async (_path, sign, verifier) => {
    await atFixedClock(async () => {
      expect(await verifier().receiveAndVerifyActJwt(await sign({ iat: T, nbf: T, exp: T + 60 }), AGENT)).toEqual(act);
      for (const claims of [{ iat: T, nbf: T + 1, exp: T + 60 }, { iat: T + 1, exp: T + 60 }]) {
        const error = await rejection(verifier().receiveAndVerifyActJwt(await sign(claims), AGENT));
        expect([error.code, error.message]).toEqual(['ERR_ACT_INVALID', 'Act JWT invalid: ImmatureSignatureError']);
      }
    });
  });

  it.each(paths)('%s: a lifetime of exactly maxLifetimeSeconds is accepted, one second more is refused', async (_path, sign, verifier) => {
    await atFixedClock(async () => {
      expect(await verifier().receiveAndVerifyActJwt(await sign({ iat: T, exp: T + 300 }), AGENT)).toEqual(act);
      const error = await rejection(verifier().receiveAndVerifyActJwt(await sign({ iat: T, exp: T + 301 }), AGENT));
      expect(error.message).toBe('Act JWT invalid: lifetime too long');
    });
  });

  it.each(paths)('%s: a JWT without jti is refused as a missing claim (jti is required)', async (_path, sign, verifier) => {
    const error = await rejection(verifier().receiveAndVerifyActJwt(await sign({ jti: undefined }), AGENT));
    expect([error.code, error.message]).toEqual(['ERR_ACT_INVALID', 'Act JWT invalid: MissingRequiredClaimError']);
  });

  it('maxJwtLength: a valid JWT longer than the limit is refused before parsing; one at the limit is accepted', async () => {
    const jwt = await signed({});
    expect(jwt.length).toBeGreaterThan(200);
    for (const maxJwtLength of [200, jwt.length - 1]) {
      const error = await rejection(receiver({ maxJwtLength }).receiveAndVerifyActJwt(jwt, AGENT));
      expect([maxJwtLength, error.code, error.message]).toEqual([maxJwtLength, 'ERR_ACT_INVALID', 'Act JWT invalid: DecodeError']);
    }
    expect(await receiver({ maxJwtLength: jwt.length }).receiveAndVerifyActJwt(jwt, AGENT)).toEqual(act);
  });

  it('the default maxJwtLength is 16384 characters', async () => {
    // Grow a padding claim until the JWT has the length wanted (base64url: 4 characters per 3 bytes).
    async function ofLength(length: number): Promise<string> {
      let pad = 0;
      for (;;) {
        const jwt = await signed({ pad: 'x'.repeat(pad) });
        if (jwt.length >= length) return jwt;
        pad += Math.max(1, Math.floor(((length - jwt.length) * 3) / 4));
      }
    }
    const under = await ofLength(16_000);
    expect(under.length).toBeLessThanOrEqual(16_384);
    expect(await receiver().receiveAndVerifyActJwt(under, AGENT)).toEqual(act);
    const over = await ofLength(16_385);
    expect(over.length).toBeGreaterThan(16_384);
    expect((await rejection(receiver().receiveAndVerifyActJwt(over, AGENT))).message).toBe('Act JWT invalid: DecodeError');
  });
});

describe('replay memory and token reuse windows on a fixed clock (issue 16)', () => {
  const T = 1_900_000_000;
  afterEach(() => vi.useRealTimers());

  it('the default MemoryReplayCache (its own clock) refuses a jti until its expiresAt, then forgets it', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000);
    const cache = new MemoryReplayCache();
    expect(cache.checkAndStore('jti-a', T + 60)).toBe(true);
    for (const seconds of [1, 59, 59.999]) {
      vi.setSystemTime((T + seconds) * 1000);
      expect([seconds, cache.checkAndStore('jti-a', T + 60)]).toEqual([seconds, false]);
    }
    // expiresAt is the end of the acceptance window (exp + clock tolerance): from then on the JWT is refused as expired.
    vi.setSystemTime((T + 60) * 1000);
    expect(cache.checkAndStore('jti-a', T + 120)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('graceSeconds keeps a jti that much longer than its expiresAt', () => {
    let now = T;
    const cache = new MemoryReplayCache({ graceSeconds: 30, now: () => now });
    expect(cache.checkAndStore('jti-b', T + 60)).toBe(true);
    now = T + 61;
    expect(cache.checkAndStore('jti-b', T + 60)).toBe(false);
    now = T + 89.999;
    expect(cache.checkAndStore('jti-b', T + 60)).toBe(false);
    now = T + 90;
    expect(cache.checkAndStore('jti-b', T + 60)).toBe(true);
  });

  it('forgets jtis in expiry order whatever the order they came in (min-heap)', () => {
    let now = T;
    const cache = new MemoryReplayCache({ now: () => now });
    const expiries = [50, 10, 40, 20, 30, 60, 5, 45, 15, 25];
    for (const [i, offset] of expiries.entries()) expect(cache.checkAndStore(`jti-${i}`, T + offset)).toBe(true);
    for (const step of [...expiries].sort((a, b) => a - b)) {
      now = T + step;
      cache.checkAndStore('probe', T); // forgets what expired by now (the probe itself expires at once)
      const kept = expiries.flatMap((offset, i) => (offset > step ? [`jti-${i}`] : []));
      expect([step, cache.size]).toEqual([step, kept.length + 1]);
      for (const jti of kept) expect([step, jti, cache.checkAndStore(jti, T + 100)]).toEqual([step, jti, false]);
    }
  });

  it('a token is not reused once its act assertion has (nearly) expired, even when the token lives longer', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000);
    const actAssertion = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: T + 300 })).toString('base64url')}.c2lnbmF0dXJl`;
    markSensitive(actAssertion);
    let requested = 0;
    const request = async () => (requested++, new TokenResponse({ accessToken: 'session-access-token-value', tokenType: 'Bearer', expiresIn: 3600, scope: 'x', actAssertion }));
    const cache = new TokenCache(); // default skew: 30 s
    await cache.getOrRequest('key', request);
    vi.setSystemTime((T + 269) * 1000);
    await cache.getOrRequest('key', request);
    expect(requested).toBe(1);
    vi.setSystemTime((T + 270) * 1000); // 300 s assertion - 30 s skew
    await cache.getOrRequest('key', request);
    expect(requested).toBe(2);
  });

  it('tokenLifetimeMs: expires_in, or less when the act assertion expires first; never negative', () => {
    const assertionExpiring = (exp: unknown) => `e30.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.c2ln`;
    const token = (expiresIn: number, actAssertion?: string) => new TokenResponse({ accessToken: 'session-access-token-value', tokenType: 'Bearer', expiresIn, scope: 'x', actAssertion });
    const now = T * 1000;
    expect(tokenLifetimeMs(token(3600), now)).toBe(3_600_000);
    expect(tokenLifetimeMs(token(3600, assertionExpiring(T + 300)), now)).toBe(300_000);
    expect(tokenLifetimeMs(token(120, assertionExpiring(T + 300)), now)).toBe(120_000);
    expect(tokenLifetimeMs(token(3600, assertionExpiring(T - 10)), now)).toBe(0);
    expect(tokenLifetimeMs(token(-5), now)).toBe(0);
    // An assertion without a numeric exp, or not a JWT, leaves expires_in alone.
    expect(tokenLifetimeMs(token(60, assertionExpiring('soon')), now)).toBe(60_000);
    expect(tokenLifetimeMs(token(60, 'not-a-jwt'), now)).toBe(60_000);
  });
});
