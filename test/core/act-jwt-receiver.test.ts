/**
 * OutOfSessionTokenRequest as the receiver of act JWTs (issue 16, phase 2: the survivors of
 * src/session/out-of-session.ts): the claims it reads and how it names each refusal, on both
 * verification paths (an RSA key through node:crypto, an EC key through jose), the agent an
 * act assertion names, its options and their checks. Keys and JWKS are served over real HTTPS.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeycloakAdapter, OutOfSessionTokenRequest } from '../../src/index.js';
import { markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

const AGENT = 'https://agent.example.com/invoke';
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
markSensitive(SECRET);
const act = { sub: 'user-receiver' };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const adapter = () => new KeycloakAdapter({ tokenUrl: server.url('/token'), clientId: 'finance-agent', clientSecret: SECRET }, { ca: server.caCert });

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, key = rsa.privateKey, header: Record<string, unknown> = { alg: 'RS256' }): Promise<string> {
  const now = nowSeconds();
  const jwt = await new SignJWT({ aud: AGENT, exp: now + 60, iat: now, jti: randomBytes(8).toString('hex'), act, ...claims })
    .setProtectedHeader(header as { alg: string })
    .sign(key);
  markSensitive(jwt);
  return jwt;
}

/** The RSA path (node:crypto) and the EC path (jose). */
const paths = [
  ['RS256 (node:crypto)', (claims: Record<string, unknown>) => sign(claims), (extra: Record<string, unknown> = {}) => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: rsa.publicKey, ...extra })],
  [
    'ES256 (jose)',
    (claims: Record<string, unknown>) => sign(claims, ec.privateKey, { alg: 'ES256' }),
    (extra: Record<string, unknown> = {}) => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: ec.publicKey, algorithms: ['ES256'], ...extra }),
  ],
] as const;

describe.each(paths)('%s', (_path, signed, receiver) => {
  it.each([
    ['an iat that is not a number', { iat: 'soon' }, 'Act JWT invalid: InvalidIssuedAtError'],
    ['an nbf that is not a number', { nbf: 'later' }, 'Act JWT invalid: ImmatureSignatureError'],
    ['an exp that is not a number', { exp: 'never' }, 'Act JWT invalid: InvalidTokenError'],
  ])('refuses %s', async (_name, claims, message) => {
    const error = await rejection(receiver().receiveAndVerifyActJwt(await signed(claims), AGENT));
    expect([error.code, error.message]).toEqual(['ERR_ACT_INVALID', message]);
  });

  it('an act assertion naming another agent (azp) is refused when the agent gives its id; accepted for itself, or without azp', async () => {
    const other = await rejection(receiver().receiveAndVerifyActJwt({ actJwt: await signed({ azp: 'other-agent' }), expectedAudience: AGENT, agentId: 'finance-agent' }));
    expect([other.code, other.message]).toEqual(['ERR_ACT_INVALID', 'Act JWT names another agent']);
    expect(await receiver().receiveAndVerifyActJwt({ actJwt: await signed({ azp: 'finance-agent' }), expectedAudience: AGENT, agentId: 'finance-agent' })).toEqual(act);
    expect(await receiver().receiveAndVerifyActJwt({ actJwt: await signed({}), expectedAudience: AGENT, agentId: 'finance-agent' })).toEqual(act);
    // Without agentId, azp is not checked (the reference has none).
    expect(await receiver().receiveAndVerifyActJwt({ actJwt: await signed({ azp: 'other-agent' }), expectedAudience: AGENT })).toEqual(act);
  });

  it('an act JWT addressed to the agent and the API (aud array) is accepted by the agent', async () => {
    expect(await receiver().receiveAndVerifyActJwt(await signed({ aud: [AGENT, 'https://api.example.com'] }), AGENT)).toEqual(act);
  });

  it('a jti of 128 characters is accepted (129 are not)', async () => {
    expect(await receiver().receiveAndVerifyActJwt(await signed({ jti: 'j'.repeat(128) }), AGENT)).toEqual(act);
  });

  it('clockToleranceSeconds also lets iat be that far ahead, not further (fixed clock)', async () => {
    const T = 1_900_000_000;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000);
    try {
      const verifier = receiver({ clockToleranceSeconds: 5 });
      expect(await verifier.receiveAndVerifyActJwt(await signed({ iat: T + 5, exp: T + 60 }), AGENT)).toEqual(act);
      const ahead = await rejection(verifier.receiveAndVerifyActJwt(await signed({ iat: T + 6, exp: T + 60 }), AGENT));
      expect(ahead.message).toBe('Act JWT invalid: ImmatureSignatureError');
    } finally {
      vi.useRealTimers();
    }
  });

  it('maxLifetimeSeconds bounds exp - iat exactly', async () => {
    const now = nowSeconds();
    expect(await receiver({ maxLifetimeSeconds: 100 }).receiveAndVerifyActJwt(await signed({ iat: now, exp: now + 100 }), AGENT)).toEqual(act);
    const error = await rejection(receiver({ maxLifetimeSeconds: 100 }).receiveAndVerifyActJwt(await signed({ iat: now, exp: now + 101 }), AGENT));
    expect(error.message).toBe('Act JWT invalid: lifetime too long');
  });
});

describe('receiveAndVerifyActJwt arguments', () => {
  const verifier = () => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: rsa.publicKey });

  it.each([
    ['no parameters', () => verifier().receiveAndVerifyActJwt(undefined as never)],
    ['no expected audience', async () => verifier().receiveAndVerifyActJwt({ actJwt: await sign({}) } as never)],
    ['an empty expected audience', async () => verifier().receiveAndVerifyActJwt(await sign({}), '')],
    ['an expected audience that is not a string', async () => verifier().receiveAndVerifyActJwt({ actJwt: await sign({}), expectedAudience: [AGENT] as never })],
  ])('%s is a caller error, not a verdict on the JWT', async (_name, call) => {
    const error = await rejection(call());
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'expectedAudience is required']);
  });
});

describe('keys from a JWKS URL', () => {
  it('an unreachable JWKS is a key fetch failure, not a bad JWT', async () => {
    const verifier = new OutOfSessionTokenRequest({ adapter: adapter(), jwksUri: 'https://127.0.0.1:1/jwks.json', ca: server.caCert });
    const error = await rejection(verifier.receiveAndVerifyActJwt(await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'k1' }), AGENT));
    expect([error.code, error.message]).toEqual(['ERR_ACT_INVALID', 'Act JWT invalid: KeyFetchError']);
  });

  it('by default only RS256 is taken from the set: an ES256 JWT is refused by algorithm; with algorithms: [ES256] it is verified', async () => {
    const jwks = await startTestServer(async (_, res) =>
      json(res, 200, { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k-rsa', alg: 'RS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'k-ec', alg: 'ES256' }] }),
    );
    try {
      const esJwt = await sign({}, ec.privateKey, { alg: 'ES256', kid: 'k-ec' });
      const rsOnly = new OutOfSessionTokenRequest({ adapter: adapter(), jwksUri: jwks.url('/jwks.json'), ca: jwks.caCert });
      expect((await rejection(rsOnly.receiveAndVerifyActJwt(esJwt, AGENT))).message).toBe('Act JWT invalid: InvalidAlgorithmError');
      expect(await rsOnly.receiveAndVerifyActJwt(await sign({}, rsa.privateKey, { alg: 'RS256', kid: 'k-rsa' }), AGENT)).toEqual(act);
      const both = new OutOfSessionTokenRequest({ adapter: adapter(), jwksUri: jwks.url('/jwks.json'), ca: jwks.caCert, algorithms: ['RS256', 'ES256'] });
      expect(await both.receiveAndVerifyActJwt(esJwt, AGENT)).toEqual(act);
    } finally {
      await jwks.close();
    }
  });
});

describe('construction', () => {
  it.each([
    ['an empty list', []],
    ['an unknown algorithm', ['HS256']],
    ['one unknown among known ones', ['RS256', 'none']],
    ['a string', 'RS256'],
  ])('refuses algorithms as %s', (_name, algorithms) => {
    const error = thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: rsa.publicKey, algorithms: algorithms as never }));
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', "algorithms must be a non-empty array of 'RS256', 'ES256', 'EdDSA'"]);
  });

  it('a key of a type the algorithms do not allow is refused (an RSA key with algorithms [ES256])', () => {
    const error = thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: rsa.publicKey, algorithms: ['ES256'] }));
    expect(error.message).toBe('Cannot load public key: ValueError');
  });

  it('needs an adapter and a key source', () => {
    for (const options of [undefined, {}, { adapter: {} }, { adapter: { requestToken: 'no' } }]) {
      const error = thrown(() => new OutOfSessionTokenRequest(options as never));
      expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'OutOfSessionTokenRequest needs an adapter']);
    }
    const error = thrown(() => new OutOfSessionTokenRequest({ adapter: adapter() }));
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'OutOfSessionTokenRequest needs appPublicKeyPath, appPublicKey or jwksUri']);
  });

  it('refuses an RSA key under 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const error = thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: small }));
    expect(error.code).toBe('ERR_KEY_LOAD');
    expect(error.message).toMatch(/^Cannot load public key/);
    expect(error.message).toContain('1024');
  });

  it.each([
    [{ clockToleranceSeconds: -1 }, 'clockToleranceSeconds'],
    [{ maxJwtLength: 0 }, 'maxJwtLength'],
    [{ maxJwtLength: 10.5 }, 'maxJwtLength'],
    [{ maxLifetimeSeconds: 0 }, 'maxLifetimeSeconds'],
  ])('refuses %j', (options, name) => {
    const error = thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: rsa.publicKey, ...options }));
    expect(error.code).toBe('ERR_CONFIGURATION');
    expect(error.message).toContain(name);
  });
});
