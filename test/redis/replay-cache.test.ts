/**
 * RedisReplayCache against real Redis servers: standalone, Cluster, TLS with an
 * ACL user. One atomic SET NX per jti; fails closed (ERR_REPLAY_STORE_UNAVAILABLE)
 * when Redis refuses us or is unreachable.
 */
import { randomBytes } from 'node:crypto';
import { createClient, createCluster } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisReplayCache } from '../../src/redis/index.js';
import { describeRedisError } from '../../src/redis/connection.js';
import { startRedisServer } from '../../scripts/redis/servers.js';
import { markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { connection, deleteKeys, nodeUrls, scanEverything, servers, type Topology } from './helpers.js';

const nowSeconds = () => Date.now() / 1000;
const jti = () => randomBytes(16).toString('base64url');
const testPrefix = () => `dual-auth:replay-test:${randomBytes(4).toString('hex')}:`;

const opened: RedisReplayCache[] = [];
function cache(options: ConstructorParameters<typeof RedisReplayCache>[0]): RedisReplayCache {
  const made = new RedisReplayCache(options);
  opened.push(made);
  return made;
}
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
});

describe.each<Topology>(['standalone', 'cluster', 'valkey'])('RedisReplayCache, %s', (topology) => {
  it('records a jti once; the key is prefixed, hashed, hash-tagged, and lives until the window ends', async () => {
    const keyPrefix = testPrefix();
    const replay = cache({ ...connection(topology), keyPrefix });
    const id = jti();
    const expiresAt = nowSeconds() + 60;
    expect(await replay.checkAndStore(id, expiresAt)).toBe(true);
    expect(await replay.checkAndStore(id, expiresAt)).toBe(false);
    expect(await replay.checkAndStore(jti(), expiresAt)).toBe(true);
    const entries = (await scanEverything(nodeUrls(topology))).filter((e) => e.key.startsWith(keyPrefix));
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry.key).toMatch(/^dual-auth:replay-test:[0-9a-f]{8}:\{[A-Za-z0-9_-]{43}\}$/);
      expect(entry.key).not.toContain(id);
      expect(entry.value).toBe('1');
      // exp + the 5 s clock margin between replicas; the test's own time gives the lower bound slack.
      expect(entry.ttlMs).toBeGreaterThan(50_000);
      expect(entry.ttlMs).toBeLessThanOrEqual(65_000);
    }
    await deleteKeys(nodeUrls(topology), keyPrefix);
  });

  it('100 concurrent checks of one jti from one process: exactly one is fresh', async () => {
    const replay = cache({ ...connection(topology), keyPrefix: testPrefix() });
    const id = jti();
    const results = await Promise.all(Array.from({ length: 100 }, () => replay.checkAndStore(id, nowSeconds() + 60)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('two caches (two replicas) with one prefix share the record; another prefix does not', async () => {
    const keyPrefix = testPrefix();
    const [a, b] = [cache({ ...connection(topology), keyPrefix }), cache({ ...connection(topology), keyPrefix })];
    const apart = cache({ ...connection(topology), keyPrefix: testPrefix() });
    const id = jti();
    expect(await a.checkAndStore(id, nowSeconds() + 60)).toBe(true);
    expect(await b.checkAndStore(id, nowSeconds() + 60)).toBe(false);
    expect(await apart.checkAndStore(id, nowSeconds() + 60)).toBe(true);
  });

  it('a jti whose window has already ended is still recorded, for the clock margin', async () => {
    const keyPrefix = testPrefix();
    const replay = cache({ ...connection(topology), keyPrefix });
    const id = jti();
    expect(await replay.checkAndStore(id, nowSeconds() - 30)).toBe(true);
    expect(await replay.checkAndStore(id, nowSeconds() - 30)).toBe(false);
    const [entry] = (await scanEverything(nodeUrls(topology))).filter((e) => e.key.startsWith(keyPrefix));
    expect(entry?.ttlMs).toBeGreaterThan(0);
    expect(entry?.ttlMs).toBeLessThanOrEqual(5_000);
  });
});

describe('RedisReplayCache with a client of your own', () => {
  it('uses a node-redis client or cluster client as given, and leaves it open on close()', async () => {
    const client = createClient({ url: servers().standalone });
    client.on('error', () => {});
    await client.connect();
    const cluster = createCluster({ rootNodes: servers().cluster.map((url) => ({ url })), defaults: { password: servers().password } });
    cluster.on('error', () => {});
    await cluster.connect();
    try {
      for (const given of [client, cluster]) {
        const replay = new RedisReplayCache({ client: given, keyPrefix: testPrefix() });
        const id = jti();
        expect(await replay.checkAndStore(id, nowSeconds() + 30)).toBe(true);
        expect(await replay.checkAndStore(id, nowSeconds() + 30)).toBe(false);
        await replay.close();
      }
      expect(await client.ping()).toBe('PONG');
      expect(client.isOpen && cluster.isOpen).toBe(true);
    } finally {
      client.destroy();
      cluster.destroy();
    }
  });
});

describe('RedisReplayCache over TLS (rediss://) with a password or an ACL user', () => {
  it('works with the default user and with a least-privilege ACL user, trusting the test CA', async () => {
    const { tls } = servers();
    for (const url of [tls.url, tls.aclUrl]) {
      const replay = cache({ url, ca: tls.caCert });
      const id = jti();
      expect(await replay.checkAndStore(id, nowSeconds() + 30)).toBe(true);
      expect(await replay.checkAndStore(id, nowSeconds() + 30)).toBe(false);
    }
  });

  it('fails closed without the CA: the certificate is checked, never skipped', async () => {
    const replay = cache({ url: servers().tls.url, commandTimeoutMs: 3_000 });
    const error = await rejection(replay.checkAndStore(jti(), nowSeconds() + 30));
    expect(error.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(error.message).toMatch(/^Redis replay store unavailable \(connection failed \([A-Z_]+\)\): the JWT is refused$/);
  });

  it('an ACL user outside its key pattern is refused by Redis (NOPERM) and the cache fails closed', async () => {
    const { tls } = servers();
    const replay = cache({ url: tls.aclUrl, ca: tls.caCert, keyPrefix: 'someone-else:' });
    const error = await rejection(replay.checkAndStore(jti(), nowSeconds() + 30));
    expect(error.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(error.message).toContain('NOPERM');
  });
});

describe('RedisReplayCache fails closed, in bounded time', () => {
  it('a wrong password: a clear error naming Redis, without the password', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    markSensitive(wrong, servers().password);
    const url = new URL(servers().standalone);
    url.password = wrong;
    const replay = cache({ url: url.toString(), commandTimeoutMs: 2_000 });
    const started = Date.now();
    const error = await rejection(replay.checkAndStore(jti(), nowSeconds() + 30));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(error.message).toBe('Redis replay store unavailable (authentication failed (WRONGPASS): check the user name and password): the JWT is refused');
    expect(`${error.message} ${String(error)} ${JSON.stringify(error)}`).not.toContain(wrong);
    // The next check fails the same way (never accepts once the first failed).
    expect((await rejection(replay.checkAndStore(jti(), nowSeconds() + 30))).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
  });

  it('connect() at start-up: resolves against a live Redis, throws ERR_REPLAY_STORE_UNAVAILABLE otherwise', async () => {
    await cache({ url: servers().standalone }).connect();
    expect((await rejection(cache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 }).connect())).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
  });

  it('a black-holed Redis (SIGSTOP: connected, never answering): refused within the timeout, then works again', async () => {
    const password = randomBytes(12).toString('hex');
    markSensitive(password);
    const server = await startRedisServer({ name: `black-hole-${process.pid}`, password });
    try {
      const replay = cache({ url: server.url, commandTimeoutMs: 500 });
      await replay.connect();
      server.pause();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        expect((await rejection(replay.checkAndStore(jti(), nowSeconds() + 30))).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
        expect(Date.now() - started).toBeLessThan(500 + 2_500);
      }
      server.resume();
      const deadline = Date.now() + 30_000;
      let fresh: boolean | undefined;
      while (fresh === undefined && Date.now() < deadline) {
        fresh = await replay.checkAndStore(jti(), nowSeconds() + 30).catch(() => undefined);
        if (fresh === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(fresh).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('nothing listening: refused within the command timeout', async () => {
    const replay = cache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 });
    const started = Date.now();
    expect((await rejection(replay.checkAndStore(jti(), nowSeconds() + 30))).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('failure reasons carry no text but codes', () => {
  it('a Redis reply, a socket error or anything else is described by its code only', () => {
    const secretText = `redis://:hunter2-${randomBytes(6).toString('hex')}@10.0.0.1:6379`;
    markSensitive(secretText);
    const socketError = Object.assign(new Error(`connect ECONNREFUSED ${secretText}`), { code: 'ECONNREFUSED' });
    expect(describeRedisError(new Error(`WRONGPASS invalid username-password pair ${secretText}`))).toBe('authentication failed (WRONGPASS): check the user name and password');
    expect(describeRedisError(new Error(`NOPERM this user has no permissions ${secretText}`))).toContain('NOPERM');
    expect(describeRedisError(new Error(`CLUSTERDOWN The cluster is down ${secretText}`))).toBe('Redis answered CLUSTERDOWN');
    expect(describeRedisError(socketError)).toBe('connection failed (ECONNREFUSED)');
    expect(describeRedisError(new TypeError(secretText))).toBe('failed (TypeError)');
    expect(describeRedisError(secretText)).toBe('failed (unknown error)');
  });
});

describe('RedisReplayCache options are checked up front', () => {
  const code = (options: unknown) => thrown(() => new RedisReplayCache(options as never)).code;

  it('needs exactly one of url or client, and a real client', () => {
    expect(code(undefined)).toBe('ERR_INVALID_ARGUMENT');
    expect(code({})).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ url: 'redis://127.0.0.1:6379', client: { set() {}, get() {}, eval() {} } })).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ client: { get() {} } })).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ url: [] })).toBe('ERR_INVALID_ARGUMENT');
  });

  it('accepts only redis:// and rediss://; plaintext only to loopback unless allowed', () => {
    expect(code({ url: 'https://127.0.0.1:6379' })).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ url: 'not a url' })).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ url: 'redis://redis.example.com:6379' })).toBe('ERR_INSECURE_URL');
    expect(code({ url: ['rediss://a.example.com:6379', 'redis://127.0.0.1:6379'] })).toBe('ERR_INVALID_ARGUMENT');
    expect(new RedisReplayCache({ url: 'redis://redis.internal:6379', allowPlaintext: true })).toBeInstanceOf(RedisReplayCache);
    expect(new RedisReplayCache({ url: 'rediss://redis.example.com:6379' })).toBeInstanceOf(RedisReplayCache);
  });

  it('refuses a key prefix with braces (it would move the hash tag) and a timeout that is not positive', () => {
    expect(code({ url: 'redis://127.0.0.1:6379', keyPrefix: '{app}:' })).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ url: 'redis://127.0.0.1:6379', keyPrefix: 'has space:' })).toBe('ERR_INVALID_ARGUMENT');
    expect(code({ url: 'redis://127.0.0.1:6379', commandTimeoutMs: 0 })).toBe('ERR_CONFIGURATION');
  });

  it('refuses a jti that is not a non-empty string and an expiresAt that is not a number', async () => {
    const replay = new RedisReplayCache({ url: 'redis://127.0.0.1:1' });
    expect((await rejection(replay.checkAndStore('', 1))).code).toBe('ERR_INVALID_ARGUMENT');
    expect((await rejection(replay.checkAndStore('x', Number.NaN))).code).toBe('ERR_INVALID_ARGUMENT');
  });
});
