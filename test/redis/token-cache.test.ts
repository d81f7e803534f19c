/**
 * RedisTokenCache in one process against real Redis servers and the local IAM
 * (its token requests counted): shared, encrypted, never expired, bounded
 * waits, direct IAM calls when Redis is down. The replicas test runs it across processes.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InSessionTokenRequest, type Act, type BaseAdapter } from '../../src/index.js';
import { startLocalIam, type LocalIam } from '../../src/local-iam/index.js';
import { RedisTokenCache, type RedisCommandClient, type RedisTokenCacheOptions } from '../../src/redis/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { adapterFor, connection, nodeUrls, scanEverything, servers, withNode, type Topology } from './helpers.js';

const ENCRYPTION_KEY = randomBytes(32);
markSensitive(ENCRYPTION_KEY.toString('base64'), ENCRYPTION_KEY.toString('hex'));
const testPrefix = () => `dual-auth:token-test:${randomBytes(4).toString('hex')}:`;

let iam: LocalIam;
let adapter: BaseAdapter;
let act: Act;
beforeAll(async () => {
  iam = await startLocalIam({ vendor: 'entraid' }); // Entra tokens carry an act assertion too
  adapter = await adapterFor(iam);
  act = { sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name };
  markSensitive(iam.testUser.email, iam.testUser.name, iam.agent.clientSecret);
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await iam?.close();
});

const opened: RedisTokenCache[] = [];
function tokenCache(options: Partial<RedisTokenCacheOptions> & Pick<RedisTokenCacheOptions, 'url' | 'client'>): RedisTokenCache {
  const made = new RedisTokenCache({ encryptionKey: ENCRYPTION_KEY, keyPrefix: testPrefix(), ...options });
  opened.push(made);
  return made;
}

function handler(cache: RedisTokenCache, who: Act = act): { request: () => ReturnType<InSessionTokenRequest['requestToken']> } {
  const tokens = new InSessionTokenRequest(adapter, { cache });
  return { request: () => tokens.requestToken({ agentId: iam.agent.clientId, act: who, scope: ['finance.read'] }) };
}

function sensitive(token: { accessToken: string; actAssertion?: string | undefined }): void {
  markSensitive(token.accessToken, token.actAssertion);
}

describe.each<Topology>(['standalone', 'cluster', 'valkey'])('RedisTokenCache, %s', (topology) => {
  it('two caches (two replicas) share one token; another person, another token', async () => {
    const keyPrefix = testPrefix();
    const [first, second] = [tokenCache({ ...connection(topology), keyPrefix }), tokenCache({ ...connection(topology), keyPrefix })];
    const before = iam.tokenRequestCount();
    const a = await handler(first).request();
    sensitive(a);
    const b = await handler(second).request();
    expect(b.accessToken).toBe(a.accessToken);
    expect(b.actAssertion).toBe(a.actAssertion);
    expect(b.tokenType).toBe(a.tokenType);
    expect(b.expiresIn).toBeLessThanOrEqual(a.expiresIn);
    expect(iam.tokenRequestCount() - before).toBe(1);
    const other = await handler(second, { ...act, sub: 'user_67890' }).request();
    sensitive(other);
    expect(other.accessToken).not.toBe(a.accessToken);
    expect(iam.tokenRequestCount() - before).toBe(2);
  });

  it('stores only ciphertext under a key name that reveals nothing, for the lifetime minus the skew', async () => {
    const keyPrefix = testPrefix();
    const token = await handler(tokenCache({ ...connection(topology), keyPrefix, skewSeconds: 30 })).request();
    sensitive(token);
    const entries = (await scanEverything(nodeUrls(topology))).filter((e) => e.key.startsWith(keyPrefix));
    expect(entries).toHaveLength(1); // the lock is gone once the token is stored
    const [entry] = entries as [(typeof entries)[number]];
    expect(entry.key).toMatch(/^dual-auth:token-test:[0-9a-f]{8}:\{[A-Za-z0-9_-]{43}\}$/);
    expect(entry.value).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const everything = `${entry.key} ${entry.value}`;
    for (const secret of [token.accessToken, token.actAssertion as string, iam.testUser.email, iam.testUser.name, iam.testUser.id, iam.agent.clientId]) {
      expect(everything).not.toContain(secret);
    }
    // Entra: the act assertion expires first (300 s), so the entry lives 300 - 30 s at most.
    expect(entry.ttlMs).toBeGreaterThan(200_000);
    expect(entry.ttlMs).toBeLessThanOrEqual(270_000);
  });

  it('another encryption key neither reads nor finds the entries', async () => {
    const keyPrefix = testPrefix();
    const before = iam.tokenRequestCount();
    sensitive(await handler(tokenCache({ ...connection(topology), keyPrefix })).request());
    sensitive(await handler(tokenCache({ ...connection(topology), keyPrefix, encryptionKey: randomBytes(32) })).request());
    expect(iam.tokenRequestCount() - before).toBe(2);
  });
});

describe('RedisTokenCache never serves an expired token', () => {
  let shortLived: LocalIam;
  beforeAll(async () => {
    shortLived = await startLocalIam({ vendor: 'keycloak', accessTokenTtlSeconds: 4 });
  });
  afterAll(async () => shortLived?.close());

  it('not even when Redis keeps the entry past its end (a key made persistent)', async () => {
    const keyPrefix = testPrefix();
    const cache = tokenCache({ url: servers().standalone, keyPrefix, skewSeconds: 2 });
    const tokens = new InSessionTokenRequest(await adapterFor(shortLived), { cache });
    const request = () => tokens.requestToken({ agentId: shortLived.agent.clientId, act, scope: ['finance.read'] });
    const before = shortLived.tokenRequestCount();
    const first = await request();
    sensitive(first);
    expect((await request()).accessToken).toBe(first.accessToken);
    expect(shortLived.tokenRequestCount() - before).toBe(1);
    // Redis would now keep the entry forever; the sealed reuse limit (4 s - 2 s skew) still holds.
    await withNode(servers().standalone, async (client) => {
      const [key] = await client.keys(`${keyPrefix}*`);
      expect(await client.persist(key as string)).toBe(1);
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const later = await request();
    sensitive(later);
    expect(later.accessToken).not.toBe(first.accessToken);
    expect(shortLived.tokenRequestCount() - before).toBe(2);
  });
});

describe('RedisTokenCache: one IAM request for concurrent misses, with bounded waits', () => {
  it('50 concurrent identical requests in one process: one IAM request', async () => {
    const cache = tokenCache({ url: servers().standalone });
    const before = iam.tokenRequestCount();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => handler(cache).request()));
    sensitive(tokens[0] as never);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(iam.tokenRequestCount() - before).toBe(1);
  });

  it('the lock comes free just after a miss: the new holder finds the token stored by the last one, no second IAM request', async () => {
    const keyPrefix = testPrefix();
    const real = createClient({ url: servers().standalone });
    real.on('error', () => {});
    await real.connect();
    try {
      const first = tokenCache({ url: servers().standalone, keyPrefix });
      let interleaved = false;
      // Real commands on a real Redis; the other replica runs between this replica's GET (a miss) and its SET NX of the lock.
      const client: RedisCommandClient = {
        get: (key) => real.get(key),
        eval: (script, options) => real.eval(script, options),
        set: async (key, value, options) => {
          if (!interleaved && key.endsWith(':lock')) {
            interleaved = true;
            sensitive(await handler(first).request()); // takes the lock, asks the IAM, stores, releases
          }
          return real.set(key, value, options);
        },
      };
      const before = iam.tokenRequestCount();
      const second = await handler(tokenCache({ client, keyPrefix })).request();
      sensitive(second);
      expect(interleaved).toBe(true);
      expect(iam.tokenRequestCount() - before).toBe(1);
    } finally {
      real.destroy();
    }
  });

  it('a lock held by a replica that died: the others wait lockWaitMs, then ask the IAM themselves', async () => {
    const keyPrefix = testPrefix();
    const cache = tokenCache({ url: servers().standalone, keyPrefix, lockWaitMs: 400 });
    sensitive(await handler(cache).request());
    // Make the entry's key a miss again, locked by someone who will never finish.
    await withNode(servers().standalone, async (client) => {
      const [key] = await client.keys(`${keyPrefix}*`);
      await client.del(key as string);
      await client.set(`${key}:lock`, 'a-replica-that-died', { expiration: { type: 'PX', value: 60_000 } });
    });
    const fresh = tokenCache({ url: servers().standalone, keyPrefix, lockWaitMs: 400 });
    const before = iam.tokenRequestCount();
    const started = Date.now();
    sensitive(await handler(fresh).request());
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(395); // lockWaitMs in full, not one poll pause less
    expect(waited).toBeLessThan(10_000);
    expect(iam.tokenRequestCount() - before).toBe(1);
  });

  it('an IAM failure is not stored, and releases the lock at once', async () => {
    const keyPrefix = testPrefix();
    const cache = tokenCache({ url: servers().standalone, keyPrefix });
    const wrongSecret = `wrong-${randomBytes(12).toString('hex')}`;
    markSensitive(wrongSecret);
    const refused = await adapterFor({ ...iam, env: { ...iam.env, AGENT_CLIENT_SECRET: wrongSecret } });
    const tokens = new InSessionTokenRequest(refused, { cache });
    const error = await rejection(tokens.requestToken({ agentId: iam.agent.clientId, act, scope: ['finance.read'] }));
    expect(error.code).toBe('ERR_TOKEN_HTTP');
    expect((await scanEverything([servers().standalone])).filter((e) => e.key.startsWith(keyPrefix))).toEqual([]);
  });
});

describe('RedisTokenCache when Redis is down: straight to the IAM', () => {
  it('every request still gets a token, within the timeout, and the outage is logged once', async () => {
    const logger = auditLogger();
    const cache = tokenCache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300, logger });
    const before = iam.tokenRequestCount();
    const started = Date.now();
    for (let i = 0; i < 3; i++) sensitive(await handler(cache).request());
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(iam.tokenRequestCount() - before).toBe(3);
    expect(logger.lines.filter((line) => line.includes('"event":"redis_unavailable"'))).toHaveLength(1);
  });
});

describe('RedisTokenCache.connect() at start-up', () => {
  it('resolves against a live Redis, throws ERR_TOKEN_STORE_UNAVAILABLE otherwise', async () => {
    await tokenCache({ url: servers().standalone }).connect();
    expect((await rejection(tokenCache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 }).connect())).code).toBe('ERR_TOKEN_STORE_UNAVAILABLE');
  });
});

describe('RedisTokenCache with a client of your own, and over TLS with an ACL user', () => {
  it('a given node-redis client', async () => {
    const client = createClient({ url: servers().standalone });
    client.on('error', () => {});
    await client.connect();
    try {
      const keyPrefix = testPrefix();
      const before = iam.tokenRequestCount();
      sensitive(await handler(tokenCache({ client, keyPrefix })).request());
      sensitive(await handler(tokenCache({ client, keyPrefix })).request());
      expect(iam.tokenRequestCount() - before).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it('rediss:// as the least-privilege ACL user (SET, GET, EVAL for the lock)', async () => {
    const { tls } = servers();
    const before = iam.tokenRequestCount();
    const keyPrefix = 'dual-auth:acl-test:';
    sensitive(await handler(tokenCache({ url: tls.aclUrl, ca: tls.caCert, keyPrefix })).request());
    sensitive(await handler(tokenCache({ url: tls.aclUrl, ca: tls.caCert, keyPrefix })).request());
    expect(iam.tokenRequestCount() - before).toBe(1);
  });
});

describe('RedisTokenCache options', () => {
  const code = (options: Record<string, unknown>) => thrown(() => new RedisTokenCache({ url: 'redis://127.0.0.1:6379', ...options } as never)).code;

  it('takes a 32-byte key as bytes, hex or base64 (url-safe too)', () => {
    for (const encryptionKey of [ENCRYPTION_KEY, new Uint8Array(ENCRYPTION_KEY), ENCRYPTION_KEY.toString('hex'), ENCRYPTION_KEY.toString('base64'), ENCRYPTION_KEY.toString('base64url')]) {
      expect(new RedisTokenCache({ url: 'redis://127.0.0.1:6379', encryptionKey })).toBeInstanceOf(RedisTokenCache);
    }
  });

  it('refuses a missing, short, long, non-random or passphrase key with ERR_INVALID_ENCRYPTION_KEY, never echoing it', () => {
    const passphrase = 'correct horse battery staple 1234';
    const short = randomBytes(31).toString('base64');
    markSensitive(passphrase, short);
    for (const encryptionKey of [undefined, randomBytes(31), randomBytes(33), Buffer.alloc(32), passphrase, short, 'x'.repeat(64)]) {
      const error = thrown(() => new RedisTokenCache({ url: 'redis://127.0.0.1:6379', encryptionKey } as never));
      expect(error.code).toBe('ERR_INVALID_ENCRYPTION_KEY');
    }
  });

  it('checks the timings', () => {
    expect(code({ encryptionKey: ENCRYPTION_KEY, lockTtlMs: 0 })).toBe('ERR_CONFIGURATION');
    expect(code({ encryptionKey: ENCRYPTION_KEY, lockWaitMs: -1 })).toBe('ERR_CONFIGURATION');
    expect(code({ encryptionKey: ENCRYPTION_KEY, skewSeconds: Number.NaN })).toBe('ERR_CONFIGURATION');
  });
});
