/**
 * `npm run bench:redis` (`-- --quick` for CI): what sharing state through Redis
 * costs, against the same operation in memory, on a real redis-server started
 * here (127.0.0.1, a free port, a password):
 *
 *  1. replay check: MemoryReplayCache vs RedisReplayCache.checkAndStore (a new jti each time);
 *  2. cached token lookup (a hit): TokenCache vs RedisTokenCache.getOrRequest (GET + decrypt);
 *  3. the client choice: node-redis (the `redis` package, our peer) vs ioredis on the
 *     same commands (SET NX PX then GET), to back docs/scaling.md.
 *
 * 1 and 50 concurrent callers; ops/s (median of the rounds) and p50 / p99
 * latency of one operation (all rounds). Prints a table; asserts nothing about time.
 */
import { randomBytes } from 'node:crypto';
import { Redis as IoRedis } from 'ioredis';
import { createClient } from 'redis';
import { MemoryReplayCache, TokenCache, TokenResponse } from '../../src/index.js';
import { RedisReplayCache, RedisTokenCache } from '../../src/redis/index.js';
import { removeRunDir, requireRedisServer, startRedisServer } from '../../scripts/redis/servers.js';
import { machine, median, settingsFromArgs, table, type BenchSettings } from '../lib.js';

interface Measure {
  opsPerSec: number;
  latenciesMs: number[];
}

/** Runs `op` from `concurrency` callers for `ms`; each operation's latency is kept. */
async function measure(op: () => Promise<unknown>, ms: number, concurrency: number): Promise<Measure> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = started + ms;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await op();
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { opsPerSec: (latenciesMs.length * 1000) / (performance.now() - started), latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

interface Row {
  operation: string;
  store: string;
  callers: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** Warms every candidate up, then alternates them round by round (drift hits all alike). */
async function contest(operation: string, candidates: Record<string, () => Promise<unknown>>, settings: BenchSettings, callers: number): Promise<Row[]> {
  const names = Object.keys(candidates);
  for (const name of names) await measure(candidates[name]!, settings.warmupMs, callers);
  const runs: Record<string, Measure[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) runs[name]!.push(await measure(candidates[name]!, settings.roundMs, callers));
  }
  return names.map((name) => {
    const all = runs[name]!.flatMap((m) => m.latenciesMs).sort((a, b) => a - b);
    return {
      operation,
      store: name,
      callers,
      opsPerSec: median(runs[name]!.map((m) => m.opsPerSec)),
      p50Us: percentile(all, 50) * 1000,
      p99Us: percentile(all, 99) * 1000,
    };
  });
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  console.log(`[bench:redis] ${await requireRedisServer()}; ${machine()}${settings.quick ? ' (quick)' : ''}`);
  const password = randomBytes(18).toString('base64url');
  const server = await startRedisServer({ name: `bench-${process.pid}`, password });
  const encryptionKey = randomBytes(32);
  const replay = { memory: new MemoryReplayCache({ maxEntries: 5_000_000 }), redis: new RedisReplayCache({ url: server.url }) };
  const tokens = { memory: new TokenCache(), redis: new RedisTokenCache({ url: server.url, encryptionKey }) };
  const nodeRedis = createClient({ url: server.url });
  const ioRedis = new IoRedis(server.url, { lazyConnect: true, enableOfflineQueue: false });
  const rows: Row[] = [];
  try {
    await Promise.all([replay.redis.connect(), tokens.redis.connect(), nodeRedis.connect(), ioRedis.connect()]);
    const token = new TokenResponse({ accessToken: randomBytes(600).toString('base64url'), tokenType: 'Bearer', expiresIn: 3600, scope: 'finance.read' });
    const key = JSON.stringify(['bench', 'agent', { sub: 'user-1', email: 'alice@example.com' }, 'finance.read']);
    const neverCalled = async (): Promise<TokenResponse> => {
      throw new Error('the token should be cached');
    };
    await tokens.memory.getOrRequest(key, async () => token);
    await tokens.redis.getOrRequest(key, async () => token);
    // Short windows keep both stores small however fast they go.
    const exp = () => Date.now() / 1000 + 1;
    let n = 0;
    const jti = () => `bench-${process.pid}-${n++}`;
    const commands = (client: 'node-redis' | 'ioredis') => async () => {
      const k = `bench:client:${n++}`;
      if (client === 'node-redis') {
        await nodeRedis.set(k, '1', { condition: 'NX', expiration: { type: 'PX', value: 60_000 } });
        await nodeRedis.get(k);
      } else {
        await ioRedis.set(k, '1', 'PX', 60_000, 'NX');
        await ioRedis.get(k);
      }
    };
    for (const callers of [1, 50]) {
      rows.push(...(await contest('replay check (new jti)', { memory: async () => replay.memory.checkAndStore(jti(), exp()), redis: () => replay.redis.checkAndStore(jti(), exp()) }, settings, callers)));
      rows.push(...(await contest('cached token lookup (hit)', { memory: () => tokens.memory.getOrRequest(key, neverCalled), redis: () => tokens.redis.getOrRequest(key, neverCalled) }, settings, callers)));
      rows.push(...(await contest('client: SET NX PX + GET', { 'node-redis': commands('node-redis'), ioredis: commands('ioredis') }, settings, callers)));
    }
  } finally {
    nodeRedis.destroy();
    ioRedis.disconnect();
    await Promise.all([replay.redis.close(), tokens.redis.close()]);
    await server.stop();
    removeRunDir();
  }
  console.log(table(['operation', 'store', 'callers', 'ops/s', 'p50 µs', 'p99 µs'], rows.map((r) => [r.operation, r.store, String(r.callers), r.opsPerSec, r.p50Us, r.p99Us])));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
