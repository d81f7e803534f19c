/**
 * The token request handlers (InSessionTokenRequest, OutOfSessionTokenRequest) and the token
 * cache behind their `cache` option, against a real HTTPS server that records every request
 * (issue 16, phase 2: the survivors of src/session/token-request.ts and token-cache.ts).
 * What is checked before any request is sent, which errors pass through and which are wrapped,
 * which tokens are reused, for how long, and which are evicted.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DualAuthError,
  EntraIDAdapter,
  InSessionTokenRequest,
  KeycloakAdapter,
  OutOfSessionTokenRequest,
  TokenCache,
  TokenRequestError,
  TokenResponse,
  tokenCacheKey,
  type BaseAdapter,
  type TokenStore,
} from '../../src/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const EMAIL = 'carol.handlers@corp.example';
markSensitive(SECRET, EMAIL);
const act = { sub: 'user-789', email: EMAIL };
const params = { agentId: 'finance-agent', act, scope: ['finance.read'] };

const dir = mkdtempSync(join(tmpdir(), 'dual-auth-handlers-'));
const publicPath = join(dir, 'app-public-key.pem');
writeFileSync(publicPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string);

let server: TestServer;
let issued = 0;
/** Answers like an IAM: a new access token each time (marked sensitive), valid `expiresIn` seconds. */
function issueTokens(expiresIn = 300) {
  server.handle((_, res) => {
    const accessToken = `handler-token-${++issued}-${randomBytes(6).toString('hex')}`;
    markSensitive(accessToken);
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn });
  });
}

beforeAll(async () => {
  server = await startTestServer();
  issueTokens();
});
afterAll(() => server.close());

function keycloak(delegation?: 'act' | 'token-exchange' | 'assertion'): KeycloakAdapter {
  return new KeycloakAdapter(
    { tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET },
    { ca: server.caCert, backoffMs: 1, ...(delegation ? { delegation } : {}) },
  );
}

/** Both handlers over the same adapter. */
function handlers(adapter: BaseAdapter, extra: Record<string, unknown> = {}) {
  return [
    ['in-session', new InSessionTokenRequest(adapter, extra)],
    ['out-of-session', new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: publicPath, ...extra })],
  ] as const;
}

/** Counts the requests the server receives while `run` runs. */
async function requestsDuring(run: () => Promise<unknown>): Promise<number> {
  const before = server.requests.length;
  await run();
  return server.requests.length - before;
}

describe('inputs refused before any request is sent', () => {
  it.each([
    ['null parameters', null, 'ERR_INVALID_ARGUMENT', 'requestToken needs { agentId, act, scope }'],
    ['a number', 42, 'ERR_INVALID_ARGUMENT', 'requestToken needs { agentId, act, scope }'],
    ['no agent id', { agentId: '', act, scope: ['x'] }, 'ERR_INVALID_ARGUMENT', 'Invalid inputs: agent_id required'],
    ['no scope at all', { agentId: 'finance-agent', act }, 'ERR_INVALID_ARGUMENT', 'Invalid inputs: scope required'],
    ['an empty scope string', { agentId: 'finance-agent', act, scope: '' }, 'ERR_INVALID_ARGUMENT', 'Invalid inputs: scope required'],
    ['an act whose sub is empty', { agentId: 'finance-agent', act: { sub: '' }, scope: ['x'] }, 'ERR_INVALID_ACT', "Invalid inputs: act with 'sub' field required"],
    ['an act that is an array', { agentId: 'finance-agent', act: [{ sub: 'x' }], scope: ['x'] }, 'ERR_INVALID_ACT', "Invalid inputs: act with 'sub' field required"],
  ])('%s', async (_name, input, code, message) => {
    for (const [, handler] of handlers(keycloak())) {
      const sent = await requestsDuring(async () => {
        const error = await rejection(handler.requestToken(input as never));
        expect(error).toBeInstanceOf(DualAuthError);
        expect(error).not.toBeInstanceOf(TokenRequestError);
        expect([error.code, error.message]).toEqual([code, message]);
      });
      expect(sent).toBe(0);
    }
  });

  it('the Python positional form without scopes is refused as no scope', async () => {
    for (const [, handler] of handlers(keycloak())) {
      const sent = await requestsDuring(async () => {
        const error = await rejection(handler.requestToken('finance-agent', act, undefined as never));
        expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'Invalid inputs: scope required']);
      });
      expect(sent).toBe(0);
    }
  });

  it("delegation 'token-exchange': needs the person's subject token; an act is optional but must have a sub", async () => {
    for (const [, handler] of handlers(keycloak('token-exchange'))) {
      const sent = await requestsDuring(async () => {
        const missing = await rejection(handler.requestToken({ agentId: 'finance-agent', scope: ['x'] }));
        expect(missing.code).toBe('ERR_INVALID_ARGUMENT');
        expect(missing.message).toMatch(/subjectToken/);
        const badAct = await rejection(handler.requestToken({ agentId: 'finance-agent', act: { email: EMAIL } as never, subjectToken: 'a.b.c', scope: ['x'] }));
        expect(badAct.code).toBe('ERR_INVALID_ACT');
      });
      expect(sent).toBe(0);
      // Without an act, with the subject token: sent.
      expect(await requestsDuring(() => handler.requestToken({ agentId: 'finance-agent', subjectToken: 'person.token.value', scope: ['x'] }))).toBe(1);
    }
  });

  it("delegation 'assertion': needs the application's act assertion", async () => {
    for (const [, handler] of handlers(keycloak('assertion'))) {
      const sent = await requestsDuring(async () => {
        const missing = await rejection(handler.requestToken({ agentId: 'finance-agent', scope: ['x'] }));
        expect(missing.code).toBe('ERR_INVALID_ARGUMENT');
        expect(missing.message).toMatch(/actAssertion/);
      });
      expect(sent).toBe(0);
      // A compact JWS in strict base64url (the adapter checks it as the API does).
      const appAssertion = ['{"alg":"RS256"}', '{"azp":"finance-agent"}', 'app-signature'].map((part) => Buffer.from(part).toString('base64url')).join('.');
      const token = await handler.requestToken({ agentId: 'finance-agent', actAssertion: appAssertion, scope: ['x'] });
      expect(token.actAssertion).toBe(appAssertion);
    }
  });

  it("an adapter without a delegation field (duck-typed) is an 'act' adapter: the act is required", async () => {
    let calls = 0;
    const duck = { tokenUrl: 'https://iam.example.com/token', clientId: 'duck', requestToken: async () => (calls++, new TokenResponse({ accessToken: 'duck-token-value', tokenType: 'Bearer', expiresIn: 60, scope: 'x' })) };
    const handler = new InSessionTokenRequest(duck as never);
    const error = await rejection(handler.requestToken({ agentId: 'finance-agent', scope: ['x'] }));
    expect([error.code, calls]).toEqual(['ERR_INVALID_ACT', 0]);
    expect((await handler.requestToken(params)).accessToken).toBe('duck-token-value');
    expect(calls).toBe(1);
  });
});

describe('errors from the adapter', () => {
  it('a TokenRequestError passes through unchanged', async () => {
    server.handle((_, res) => json(res, 400, { error: 'invalid_client' }));
    try {
      for (const [, handler] of handlers(keycloak())) {
        const error = await rejection(handler.requestToken(params));
        expect(error).toBeInstanceOf(TokenRequestError);
        expect(error.statusCode).toBe(400);
        expect((error as TokenRequestError).iamError).toBe('invalid_client');
      }
    } finally {
      issueTokens();
    }
  });

  it("any other error becomes a TokenRequestError naming only its class (a DualAuthError is Python's ValueError), the error as its cause", async () => {
    for (const [, handler] of handlers(keycloak())) {
      // The adapter's own scope check (the handler accepts any non-empty list).
      const error = await rejection(handler.requestToken({ ...params, scope: ['finance.read', 7 as never] }));
      expect(error).toBeInstanceOf(TokenRequestError);
      expect([error.message, error.code, error.statusCode]).toEqual(['Unexpected error: ValueError', 'ERR_TOKEN_REQUEST', undefined]);
      expect((error.cause as DualAuthError).code).toBe('ERR_INVALID_ARGUMENT');
    }
    const broken = { tokenUrl: 'https://iam.example.com/token', clientId: 'broken', requestToken: async () => Promise.reject(new RangeError('out of range')) };
    const error = await rejection(new InSessionTokenRequest(broken as never).requestToken(params));
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.message).toBe('Unexpected error: RangeError');
    expect(error.cause).toBeInstanceOf(RangeError);
  });
});

describe('log lines of the handlers', () => {
  it('start and success are logged per scenario, with the agent and the IAM id of the person only', async () => {
    const adapter = keycloak();
    for (const scenario of ['in-session', 'out-of-session'] as const) {
      const logger = auditLogger();
      const logged = scenario === 'in-session' ? new InSessionTokenRequest(adapter, { logger }) : new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: publicPath, logger });
      await logged.requestToken(params);
      const prefix = scenario === 'in-session' ? 'insession' : 'outofsession';
      const start = logger.lines.find((line) => line.includes(`"${prefix}_token_request_start"`));
      const success = logger.lines.find((line) => line.includes(`"${prefix}_token_request_success"`));
      expect(start).toContain('"agent_id":"finance-agent"');
      expect(start!.endsWith(scenario === 'in-session' ? ' In-session token request starting' : ' Out-of-session token request starting')).toBe(true);
      expect(start).toContain('"human_id":"user-789"');
      expect(success).toContain('"expires_in":300');
    }
  });
});

describe('token reuse through the handlers', () => {
  it('without the cache option every call is a new request, as the reference', async () => {
    for (const [, handler] of handlers(keycloak())) {
      expect(await requestsDuring(async () => (await handler.requestToken(params), await handler.requestToken(params)))).toBe(2);
    }
    for (const [, handler] of handlers(keycloak(), { cache: false })) {
      expect(await requestsDuring(async () => (await handler.requestToken(params), await handler.requestToken(params)))).toBe(2);
    }
  });

  it('cache: true or TokenCacheOptions give a cache of its own to each handler', async () => {
    for (const cache of [true, { maxEntries: 1 }]) {
      for (const [, handler] of handlers(keycloak(), { cache })) {
        expect(await requestsDuring(async () => expect(await handler.requestToken(params)).toBe(await handler.requestToken(params)))).toBe(1);
      }
    }
    // maxEntries 1: a second request evicts the first.
    const [[, handler]] = handlers(keycloak(), { cache: { maxEntries: 1 } });
    const sent = await requestsDuring(async () => {
      await handler.requestToken(params);
      await handler.requestToken({ ...params, scope: ['finance.write'] });
      await handler.requestToken(params);
    });
    expect(sent).toBe(3);
  });

  it.each([null, 'yes', 7])('refuses the cache option %j', (cache) => {
    const error = thrown(() => new InSessionTokenRequest(keycloak(), { cache: cache as never }));
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'cache must be a boolean, TokenCacheOptions or a token cache instance']);
  });
});

describe('TokenCache', () => {
  const T = 1_900_000_000_000; // a fixed "now", in ms
  afterEach(() => vi.useRealTimers());

  let made = 0;
  const token = (expiresIn = 300) => new TokenResponse({ accessToken: `cache-token-value-${++made}`, tokenType: 'Bearer', expiresIn, scope: 'x' });
  /** A request function that counts its calls. */
  function counted(expiresIn = 300) {
    const request = async () => (request.calls++, token(expiresIn));
    request.calls = 0;
    return request;
  }

  it('keeps at most maxEntries tokens and evicts the least recently used', async () => {
    const cache = new TokenCache({ maxEntries: 2 });
    const [a, b, c] = [counted(), counted(), counted()];
    const tokenA = await cache.getOrRequest('a', a);
    await cache.getOrRequest('b', b);
    expect(cache.size).toBe(2);
    expect(await cache.getOrRequest('a', a)).toBe(tokenA); // a is now the most recently used
    await cache.getOrRequest('c', c); // evicts b, not a
    expect(cache.size).toBe(2);
    expect(await cache.getOrRequest('a', a)).toBe(tokenA);
    await cache.getOrRequest('b', b);
    expect([a.calls, b.calls, c.calls]).toEqual([1, 2, 1]);
  });

  it('holds exactly maxEntries tokens without evicting', async () => {
    const cache = new TokenCache({ maxEntries: 3 });
    const requests = [counted(), counted(), counted()];
    for (const [i, request] of requests.entries()) await cache.getOrRequest(`k${i}`, request);
    for (const [i, request] of requests.entries()) await cache.getOrRequest(`k${i}`, request);
    expect(cache.size).toBe(3);
    expect(requests.map((request) => request.calls)).toEqual([1, 1, 1]);
  });

  it('reuses a token until skewSeconds before it expires (default 30 s), then requests a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (const [options, reuseFor] of [
      [{}, 270],
      [{ skewSeconds: 0 }, 300],
      [{ skewSeconds: 100 }, 200],
    ] as const) {
      vi.setSystemTime(T);
      const cache = new TokenCache(options);
      const request = counted(300);
      const first = await cache.getOrRequest('k', request);
      vi.setSystemTime(T + reuseFor * 1000 - 1);
      expect(await cache.getOrRequest('k', request)).toBe(first);
      vi.setSystemTime(T + reuseFor * 1000);
      expect(await cache.getOrRequest('k', request)).not.toBe(first);
      expect([options, request.calls]).toEqual([options, 2]);
    }
  });

  it('a token that expires within the skew is never reused', async () => {
    const cache = new TokenCache();
    const request = counted(20);
    await cache.getOrRequest('k', request);
    await cache.getOrRequest('k', request);
    expect(request.calls).toBe(2);
  });

  it('concurrent callers share one request, and its failure; a failed request is not kept', async () => {
    const cache = new TokenCache();
    let calls = 0;
    const failure = new TokenRequestError('Keycloak refused', 503);
    const failing = async () => (calls++, Promise.reject(failure));
    const results = await Promise.allSettled([cache.getOrRequest('k', failing), cache.getOrRequest('k', failing)]);
    expect(results).toEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    expect([calls, cache.size]).toEqual([1, 0]);
    const request = counted();
    await cache.getOrRequest('k', request);
    expect([request.calls, cache.size]).toEqual([1, 1]);
  });

  it('a failed request does not remove the newer request that replaced it', async () => {
    const cache = new TokenCache();
    let fail!: (error: Error) => void;
    const first = cache.getOrRequest('k', () => new Promise<TokenResponse>((_, reject) => (fail = reject)));
    cache.clear();
    const newer = counted();
    const newerToken = await cache.getOrRequest('k', newer);
    fail(new Error('IAM unreachable'));
    await expect(first).rejects.toThrow('IAM unreachable');
    expect(await cache.getOrRequest('k', newer)).toBe(newerToken);
    expect(newer.calls).toBe(1);
  });

  it('clear() forgets every token', async () => {
    const cache = new TokenCache();
    const request = counted();
    await cache.getOrRequest('k', request);
    cache.clear();
    expect(cache.size).toBe(0);
    await cache.getOrRequest('k', request);
    expect(request.calls).toBe(2);
  });

  it.each([
    [{ maxEntries: 0 }, 'maxEntries'],
    [{ maxEntries: 1.5 }, 'maxEntries'],
    [{ skewSeconds: -1 }, 'skewSeconds'],
    [{ skewSeconds: Number.NaN }, 'skewSeconds'],
  ])('refuses %j', (options, name) => {
    const error = thrown(() => new TokenCache(options));
    expect(error.code).toBe('ERR_CONFIGURATION');
    expect(error.message).toContain(name);
  });
});

describe('tokenCacheKey: the IAM client is part of the key', () => {
  const identity = (extra: Record<string, unknown> = {}) => ({ tokenUrl: 'https://iam.example.com/token', clientId: 'finance-agent', audience: undefined, ...extra });

  it('two clients differing only in audience, delegation or adapter class never share a token', () => {
    class OtherAdapter {
      readonly tokenUrl = 'https://iam.example.com/token';
      readonly clientId = 'finance-agent';
      readonly audience = undefined;
    }
    const keys = [
      tokenCacheKey(identity(), params),
      tokenCacheKey(identity({ audience: 'https://api-a.example.com' }), params),
      tokenCacheKey(identity({ audience: 'https://api-b.example.com' }), params),
      tokenCacheKey(identity({ delegation: 'token-exchange' }), params),
      tokenCacheKey(new OtherAdapter(), params),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    // 'act' stated or left out (a duck-typed adapter) is not the same text, but each is stable.
    expect(tokenCacheKey(identity(), params)).toBe(tokenCacheKey(identity(), { ...params }));
  });

  it('a field left undefined is the same request as one left out; the signal is ignored', () => {
    expect(tokenCacheKey(identity(), { ...params, subjectToken: undefined, signal: AbortSignal.abort() })).toBe(tokenCacheKey(identity(), params));
  });

  it('nested act claims are compared by value, whatever their key order', () => {
    const a = tokenCacheKey(identity(), { ...params, act: { sub: 'u', ctx: { b: 1, a: [{ y: 2, x: 1 }] } } });
    const b = tokenCacheKey(identity(), { ...params, act: { ctx: { a: [{ x: 1, y: 2 }], b: 1 }, sub: 'u' } });
    const c = tokenCacheKey(identity(), { ...params, act: { sub: 'u', ctx: { b: 1, a: [{ y: 2, x: 2 }] } } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('what the cache keeps per delegation mode (issue 16, token-request.ts survivors)', () => {
  const appAssertion = ['{"alg":"RS256"}', '{"azp":"finance-agent"}', 'app-signature'].map((part) => Buffer.from(part).toString('base64url')).join('.');

  /** A TokenStore that keeps what it is given, as a shared store (Redis) would. */
  function recordingStore() {
    const stored: TokenResponse[] = [];
    const store: TokenStore = { getOrRequest: async (_key, request) => (stored.push(await request()), stored.at(-1)!) };
    return { store, stored };
  }

  it("'assertion': the store keeps the agent's own token without the person's assertion; the caller gets it back with its own", async () => {
    issueTokens();
    const { store, stored } = recordingStore();
    const token = await new InSessionTokenRequest(keycloak('assertion'), { cache: store }).requestToken({ agentId: 'finance-agent', actAssertion: appAssertion, scope: ['x'] });
    expect(token.actAssertion).toBe(appAssertion);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.actAssertion).toBeUndefined();
  });

  it("'act' with EntraID: the act assertion the adapter signs is kept with the token, in the store and in the answer", async () => {
    issueTokens();
    const keyPath = join(dir, 'entra-app.pem');
    writeFileSync(keyPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    const entra = new EntraIDAdapter(
      { tokenUrl: server.url('/tenant/oauth2/v2.0/token'), clientId: 'entra-agent', clientSecret: SECRET, scope: 'api://finance/.default', appPrivateKeyPath: keyPath, appId: 'app', actAudience: 'api://finance' },
      { ca: server.caCert },
    );
    const { store, stored } = recordingStore();
    const token = await new InSessionTokenRequest(entra, { cache: store }).requestToken(params);
    markSensitive(token.actAssertion);
    expect(token.actAssertion).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stored[0]!.actAssertion).toBe(token.actAssertion);
  });

  it('an adapter without abortedError (duck-typed): a caller aborted before the cache is asked fails with its signal reason as the cause', async () => {
    let calls = 0;
    const duck = { tokenUrl: 'https://iam.example.com/token', clientId: 'duck', requestToken: async () => (calls++, new TokenResponse({ accessToken: 'duck-token-value', tokenType: 'Bearer', expiresIn: 60, scope: 'x' })) };
    const reason = new Error('caller gave up');
    const error = await new InSessionTokenRequest(duck as never, { cache: true }).requestToken({ ...params, signal: AbortSignal.abort(reason) }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect([(error as Error).message, (error as Error).cause]).toEqual(['Unexpected error: Error', reason]);
    expect(calls).toBe(0);
  });
});
