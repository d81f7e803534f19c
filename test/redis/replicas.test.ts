/**
 * Four agent replicas (real processes) share one Redis: standalone, a
 * three-node Cluster, and Valkey. The same act JWT sent to all four at once is accepted by
 * exactly one; 4 x 50 concurrent identical token requests make one IAM request;
 * an expired token is never served; nothing readable is left in Redis. Then
 * Redis is stopped and black-holed under running replicas: replay checks fail
 * closed within the timeout, tokens still come from the IAM, and both recover
 * when Redis returns, with no restart of the replicas.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HybridSender, type Act } from '../../src/index.js';
import { startLocalIam, type LocalIam } from '../../src/local-iam/index.js';
import { startRedisCluster, startRedisServer, type RedisCluster, type RedisServer } from '../../scripts/redis/servers.js';
import { markSensitive } from '../helpers/log-audit.js';
import { connection, nodeUrls, scanEverything, type Topology } from './helpers.js';
import { startReplicas, type Replica, type ReplicaReply, type ReplicaSettings } from './replicas.js';

const REPLICAS = 4;
const AGENT_ENDPOINT = 'https://agent.example.com/invoke';
const TOKEN_TTL_SECONDS = 12;
const SKEW_SECONDS = 4;
const COMMAND_TIMEOUT_MS = 1_000;
/** What a loaded 2-core machine may add to a bounded wait (only upper bounds are asserted). */
const SLACK_MS = 2_500;

const encryptionKey = randomBytes(32).toString('base64');
markSensitive(encryptionKey);

let iam: LocalIam;
let sender: HybridSender;
let act: Act;
/** Every secret this file hands out, for the final scan of Redis. */
const secrets = new Set<string>();
function secret(...values: Array<string | undefined>): void {
  for (const value of values) {
    if (!value) continue;
    secrets.add(value);
    markSensitive(value);
  }
}

beforeAll(async () => {
  // Entra ID profile: its tokens carry an act assertion too, which must never be stored readable.
  iam = await startLocalIam({ vendor: 'entraid', accessTokenTtlSeconds: TOKEN_TTL_SECONDS });
  sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
  act = { sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name };
  secret(iam.testUser.email, iam.testUser.name, iam.agent.clientSecret);
});
afterAll(async () => iam?.close());

function settings(redisUrl: string | string[], tag: string): ReplicaSettings {
  return {
    env: iam.env,
    caCert: iam.caCert,
    appPublicKeyPem: iam.app.publicKeyPem,
    agentId: iam.agent.clientId,
    agentEndpoint: AGENT_ENDPOINT,
    redisUrl,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    replayPrefix: `dual-auth:replicas-${tag}:agent-replay:`,
    tokenPrefix: `dual-auth:replicas-${tag}:agent-token:`,
    encryptionKey,
    skewSeconds: SKEW_SECONDS,
  };
}

async function newActJwt(): Promise<string> {
  const jwt = await sender.prepareOutOfSessionAct({ act, agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 60 });
  secret(jwt, String(decodeJwt(jwt).jti));
  return jwt;
}

/** The same act JWT to every replica at once. */
async function verifyEverywhere(replicas: Replica[], actJwt: string): Promise<ReplicaReply[]> {
  return Promise.all(replicas.map((replica) => replica.send({ type: 'verify', actJwt })));
}

/** `count` concurrent identical token requests in every replica; the distinct tokens they got. */
async function tokensEverywhere(replicas: Replica[], count: number): Promise<{ replies: ReplicaReply[]; distinct: Set<string> }> {
  const replies = await Promise.all(replicas.map((replica) => replica.send({ type: 'tokens', count, act })));
  const distinct = new Set<string>();
  for (const reply of replies) {
    for (const token of reply.tokens ?? []) {
      secret(token.accessToken, token.actAssertion);
      distinct.add(createHash('sha256').update(token.accessToken).digest('hex'));
    }
  }
  return { replies, distinct };
}

/** Retries a replay check with new JWTs until one replica accepts (Redis is back), within a bound. */
async function untilAccepted(replica: Replica, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const reply = await replica.send({ type: 'verify', actJwt: await newActJwt() });
    if (reply.ok) return Date.now() - started;
    expect(reply.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    if (Date.now() - started > withinMs) throw new Error(`Redis did not come back within ${withinMs} ms: ${reply.message}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Repeats a fan-out of token requests until one is served from Redis alone (the cache is back), within a bound. */
async function untilTokensShared(replicas: Replica[], withinMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const before = iam.tokenRequestCount();
    const { replies, distinct } = await tokensEverywhere(replicas, 5);
    expect(replies.map((r) => r.failures)).toEqual([[], [], [], []]);
    if (iam.tokenRequestCount() === before && distinct.size === 1) return;
    if (Date.now() - started > withinMs) throw new Error(`the token cache was not shared again within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe.each<Topology>(['standalone', 'cluster', 'valkey'])('four replicas sharing one Redis (%s)', (topology) => {
  let replicas: Replica[] = [];
  const tag = `${topology}-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    replicas = await startReplicas(REPLICAS, settings(connection(topology).url, tag));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
  });

  it('the same act JWT sent to all four at once: exactly one accepts, three refuse with ERR_ACT_REPLAY (20 rounds)', async () => {
    for (let round = 1; round <= 20; round++) {
      const replies = await verifyEverywhere(replicas, await newActJwt());
      expect(replies.filter((r) => r.ok), `round ${round}: ${JSON.stringify(replies)}`).toHaveLength(1);
      expect(replies.filter((r) => !r.ok).map((r) => r.code), `round ${round}`).toEqual(['ERR_ACT_REPLAY', 'ERR_ACT_REPLAY', 'ERR_ACT_REPLAY']);
    }
  });

  it('4 processes x 50 concurrent identical token requests: the IAM sees one; once expired, one more', async () => {
    const before = iam.tokenRequestCount();
    const first = await tokensEverywhere(replicas, 50);
    expect(first.replies.map((r) => r.failures)).toEqual([[], [], [], []]);
    expect(first.replies.flatMap((r) => r.tokens ?? [])).toHaveLength(200);
    expect(first.distinct.size).toBe(1);
    expect(iam.tokenRequestCount() - before).toBe(1);
    // Reuse ends TOKEN_TTL - SKEW seconds after the request: never served past that.
    await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_SECONDS - SKEW_SECONDS) * 1000 + 500));
    const second = await tokensEverywhere(replicas, 50);
    expect(second.distinct.size).toBe(1);
    expect([...second.distinct][0]).not.toBe([...first.distinct][0]);
    expect(iam.tokenRequestCount() - before).toBe(2);
  });

  it('a scan of every key and value finds no token, assertion, JWT, jti, email or name', async () => {
    expect(secrets.size).toBeGreaterThan(20);
    const entries = await scanEverything(nodeUrls(topology));
    const ours = entries.filter((e) => e.key.startsWith(`dual-auth:replicas-${tag}:`));
    expect(ours.length).toBeGreaterThan(20); // the replay records and the token entry are there
    const leaks = entries.flatMap((entry) => [...secrets].filter((value) => entry.key.includes(value) || entry.value?.includes(value)).map((value) => `${entry.key}: ${value.slice(0, 6)}…`));
    expect(leaks).toEqual([]);
    // Every key has an expiry: nothing stays for ever.
    expect(ours.filter((e) => e.ttlMs < 0)).toEqual([]);
  });
});

describe.each<Topology>(['standalone', 'cluster'])('Redis stopped and black-holed under four running replicas (%s)', (topology) => {
  let redis: { stop(): Promise<void>; restart(): Promise<void>; pause(): void; resume(): void };
  let owned: RedisServer | RedisCluster;
  let replicas: Replica[] = [];
  beforeAll(async () => {
    // A Redis of its own: this test stops it.
    const password = randomBytes(12).toString('hex');
    markSensitive(password);
    if (topology === 'cluster') {
      const cluster = await startRedisCluster(`down-cluster-${process.pid}`, password);
      owned = cluster;
      redis = {
        stop: () => cluster.stop(),
        restart: () => cluster.restart(),
        pause: () => cluster.nodes.forEach((node) => node.pause()),
        resume: () => cluster.nodes.forEach((node) => node.resume()),
      };
      replicas = await startReplicas(REPLICAS, settings(cluster.urls, `down-${topology}`));
    } else {
      const server = await startRedisServer({ name: `down-standalone-${process.pid}`, password });
      owned = server;
      redis = server;
      replicas = await startReplicas(REPLICAS, settings(server.url, `down-${topology}`));
    }
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    redis?.resume();
    await owned?.stop();
  });

  it('replay checks fail closed within the timeout, tokens come from the IAM, and both recover by themselves', async () => {
    // Healthy: one acceptance, a cached token.
    expect((await verifyEverywhere(replicas, await newActJwt())).filter((r) => r.ok)).toHaveLength(1);
    await tokensEverywhere(replicas, 5);

    // Stopped: connections refused.
    await redis.stop();
    let replies = await verifyEverywhere(replicas, await newActJwt());
    expect(replies.map((r) => r.code)).toEqual(Array(REPLICAS).fill('ERR_REPLAY_STORE_UNAVAILABLE'));
    for (const reply of replies) expect(reply.elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
    const before = iam.tokenRequestCount();
    let tokens = await tokensEverywhere(replicas, 5);
    expect(tokens.replies.map((r) => r.failures)).toEqual([[], [], [], []]);
    expect(iam.tokenRequestCount() - before).toBeGreaterThanOrEqual(1); // straight to the IAM
    expect(iam.tokenRequestCount() - before).toBeLessThanOrEqual(REPLICAS); // still one per replica

    // Back: every replica accepts again without a restart, and the shared cache works again.
    await redis.restart();
    for (const replica of replicas) await untilAccepted(replica, 30_000);
    await untilTokensShared(replicas, 30_000);

    // Black-holed (SIGSTOP): connections stay open, nothing answers. Never a hang, never an acceptance.
    redis.pause();
    try {
      replies = await verifyEverywhere(replicas, await newActJwt());
      expect(replies.map((r) => r.code)).toEqual(Array(REPLICAS).fill('ERR_REPLAY_STORE_UNAVAILABLE'));
      for (const reply of replies) expect(reply.elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + SLACK_MS);
      tokens = await tokensEverywhere(replicas, 5);
      expect(tokens.replies.map((r) => r.failures)).toEqual([[], [], [], []]);
      for (const reply of tokens.replies) expect(reply.elapsedMs).toBeLessThan(10_000);
    } finally {
      redis.resume();
    }
    for (const replica of replicas) await untilAccepted(replica, 30_000);
    await untilTokensShared(replicas, 30_000);
    // After all that, the same JWT is still accepted exactly once.
    expect((await verifyEverywhere(replicas, await newActJwt())).filter((r) => r.ok)).toHaveLength(1);
  }, 240_000);
});
