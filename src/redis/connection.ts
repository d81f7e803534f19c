/**
 * One Redis connection for dual-auth/redis: a node-redis client (standalone,
 * Cluster) made from a URL on first use, or the caller's own client. Every
 * command runs under a deadline, so a Redis that is down, refuses us or never
 * answers (black-holed) costs at most `commandTimeoutMs`; failures become a
 * RedisUnavailableError whose reason is safe to show (never a URL or a password).
 */
import { DualAuthError } from '../errors.js';
import { isLoopbackHost } from '../http/loopback.js';
import { buildTrustedCas, type CaOption } from '../http/tls.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { importOptional } from '../optional.js';
import { POSITIVE, numberOption } from '../options.js';

/**
 * The commands dual-auth/redis sends. A node-redis client from `createClient`,
 * `createCluster` or `createSentinel` (redis 5 and later) has them all.
 */
export interface RedisCommandClient {
  set(key: string, value: string, options: { condition?: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<unknown>;
  get(key: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisConnectionOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. For Redis
   * Cluster, one or more seed node URLs (an array, or `cluster: true`); their
   * credentials and TLS apply to every node. Give `url` or `client`, not both.
   */
  url?: string | readonly string[];
  /** Treat `url` as a Redis Cluster seed node. Default is false (true when `url` is an array). */
  cluster?: boolean;
  /**
   * Your own node-redis client (`createClient`, `createCluster`, `createSentinel`
   * for Sentinel), already connected; you close it. Its own reconnect settings apply.
   */
  client?: RedisCommandClient;
  /** Private CA(s) trusted for `rediss://`, added to Node's trust store and NODE_EXTRA_CA_CERTS. */
  ca?: CaOption;
  /**
   * Longest wait for one Redis command (the first connection included), in
   * milliseconds. After a timeout, commands fail at once for the same time
   * while Redis recovers. Default is 1000 (1 second).
   */
  commandTimeoutMs?: number;
  /**
   * Allow `redis://` (no TLS) to a host that is not loopback: the password and
   * the keys cross the network in clear. Default is false (use `rediss://`).
   */
  allowPlaintext?: boolean;
  /** pino-compatible logger; silent when absent. Receives state changes with a safe reason, never a URL or a password. */
  logger?: LoggerLike;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

/** Redis could not run a command; `reason` is safe to show. */
export class RedisUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`Redis unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

type OwnedClient = RedisCommandClient & {
  connect(): Promise<unknown>;
  destroy(): void;
  close?(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
};

interface NodeRedis {
  createClient(options: Record<string, unknown>): OwnedClient;
  createCluster(options: Record<string, unknown>): OwnedClient;
}

export class RedisConnection {
  private readonly urls: readonly string[] | undefined;
  private readonly cluster: boolean;
  private readonly given: RedisCommandClient | undefined;
  private readonly ca: CaOption | undefined;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private driver: Promise<NodeRedis> | undefined;
  private owned: { client: OwnedClient; ready: Promise<OwnedClient> } | undefined;
  private lastFailure: unknown;
  private lastClientError: unknown;
  private coolOffUntil = 0;
  private healthy = true;
  private closed = false;

  constructor(options: RedisConnectionOptions, private readonly feature: string) {
    if (options === null || typeof options !== 'object') throw new DualAuthError(`${feature} needs options: { url } or { client }`, 'ERR_INVALID_ARGUMENT');
    const { url, client } = options;
    if ((url === undefined) === (client === undefined)) throw new DualAuthError(`${feature} needs exactly one of url or client`, 'ERR_INVALID_ARGUMENT');
    if (client !== undefined && !isCommandClient(client)) {
      throw new DualAuthError(`${feature}: client must be a node-redis client (createClient, createCluster or createSentinel)`, 'ERR_INVALID_ARGUMENT');
    }
    this.given = client;
    this.urls = url === undefined ? undefined : checkUrls(url, options.allowPlaintext === true, feature);
    this.cluster = options.cluster === true || Array.isArray(url);
    this.ca = options.ca;
    this.timeoutMs = numberOption('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, POSITIVE);
    this.logger = toLogger(options.logger);
  }

  /** Runs one command under the deadline; throws RedisUnavailableError on any failure. */
  async run<T>(command: (client: RedisCommandClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new RedisUnavailableError('closed');
    if (Date.now() < this.coolOffUntil) throw new RedisUnavailableError(describeRedisError(this.lastFailure));
    // Loading node-redis is local work, not Redis's: outside the deadline. A missing package throws ERR_DEPENDENCY_MISSING.
    const redis = this.given ? undefined : await (this.driver ??= importOptional<NodeRedis>('redis', this.feature, ['redis']));
    if (this.closed) throw new RedisUnavailableError('closed');
    let client: RedisCommandClient | undefined;
    let late = false;
    const work = (async () => {
      client = this.given ?? (await this.connect(redis as NodeRedis));
      // Connected after the deadline: the caller has its answer already, so the command is not sent.
      if (late) throw new RedisTimeoutError(this.timeoutMs);
      return command(client);
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        reject(new RedisTimeoutError(this.timeoutMs));
      }, this.timeoutMs);
    });
    try {
      const result = await Promise.race([work, deadline]);
      this.markHealthy();
      return result;
    } catch (error) {
      work.catch(() => {}); // it may still settle after the deadline
      if (!(error instanceof RedisTimeoutError)) throw this.fail(error);
      this.onTimeout(client);
      // Still connecting when time ran out: the connection's own error says why (refused, WRONGPASS, TLS).
      throw this.fail(client === undefined && this.lastClientError !== undefined ? this.lastClientError : error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connects now rather than at the first command (e.g. at start-up); throws RedisUnavailableError when Redis cannot be reached in time. */
  async warmUp(): Promise<void> {
    await this.run(async () => undefined);
  }

  /** Closes the client made from `url` (a given client is left to its owner). */
  async close(): Promise<void> {
    this.closed = true;
    const owned = this.owned;
    this.owned = undefined;
    if (owned) await closeClient(owned.client, this.timeoutMs);
  }

  /** The client made from `url` (made now if there is none, or none since a reset), once connected. */
  private connect(redis: NodeRedis): Promise<OwnedClient> {
    if (!this.owned) {
      const client = this.create(redis);
      client.on('error', (error: unknown) => this.onClientError(error));
      client.on('ready', () => this.markHealthy());
      const ready = client.connect().then(() => client);
      ready.catch(() => {}); // reported through run(); rejects only once the client is destroyed
      this.owned = { client, ready };
    }
    return this.owned.ready;
  }

  private create(redis: NodeRedis): OwnedClient {
    const urls = this.urls as readonly string[];
    const tls = new URL(urls[0] as string).protocol === 'rediss:';
    const socket = {
      connectTimeout: this.timeoutMs,
      ...(tls ? { tls: true as const, ...(this.ca === undefined ? {} : { ca: buildTrustedCas(this.ca) }) } : {}),
    };
    // Offline, a command fails at once (no queue that would outlive our deadline).
    const common = { disableOfflineQueue: true, commandOptions: { timeout: this.timeoutMs } };
    if (!this.cluster) return redis.createClient({ url: urls[0], socket, ...common });
    const first = new URL(urls[0] as string);
    return redis.createCluster({
      rootNodes: urls.map((url) => ({ url })),
      // Nodes found through CLUSTER SLOTS get the seed's credentials and TLS settings.
      defaults: {
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        socket,
        ...common,
      },
    });
  }

  private onTimeout(client: RedisCommandClient | undefined): void {
    this.coolOffUntil = Date.now() + this.timeoutMs;
    // A connection that stopped answering may never error by itself (a black hole):
    // drop it, so the next command starts a fresh one. A given client is its owner's.
    if (this.owned && client === this.owned.client) {
      const stale = this.owned.client;
      this.owned = undefined;
      void closeClient(stale);
    }
  }

  private onClientError(error: unknown): void {
    this.lastClientError = error;
    this.lastFailure = error;
    if (this.healthy) {
      this.healthy = false;
      this.logger.warn({ event: 'redis_unavailable', feature: this.feature, reason: describeRedisError(error) }, 'Redis unavailable');
    }
  }

  private markHealthy(): void {
    this.lastClientError = undefined;
    if (!this.healthy) this.logger.info({ event: 'redis_recovered', feature: this.feature }, 'Redis available again');
    this.healthy = true;
  }

  private fail(error: unknown): RedisUnavailableError {
    // "Offline" says nothing: the client's last connection error says why.
    const cause = isOffline(error) && this.lastFailure !== undefined ? this.lastFailure : error;
    this.lastFailure = cause;
    if (this.healthy) {
      this.healthy = false;
      this.logger.warn({ event: 'redis_unavailable', feature: this.feature, reason: describeRedisError(cause) }, 'Redis unavailable');
    }
    return new RedisUnavailableError(describeRedisError(cause));
  }
}

class RedisTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

const AUTH_REPLIES = new Set(['WRONGPASS', 'NOAUTH']);

/**
 * A reason that names what failed without any text we do not control: a
 * network error code, a Redis error reply's code word, or our own timeout.
 * (Redis replies never echo a password; URLs never reach this text.)
 */
export function describeRedisError(error: unknown): string {
  if (error instanceof RedisUnavailableError) return error.reason;
  if (error instanceof RedisTimeoutError) return error.message;
  if (error === undefined || isOffline(error)) return 'not connected';
  const code = (error as { code?: unknown } | null)?.code;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  const reply = /^([A-Z][A-Z_]{2,31})(?:\s|$)/.exec(message)?.[1];
  if (reply && AUTH_REPLIES.has(reply)) return `authentication failed (${reply}): check the user name and password`;
  if (reply === 'NOPERM') return 'the ACL user may not run a command dual-auth needs (NOPERM): see docs/scaling.md';
  if (reply) return `Redis answered ${reply}`;
  if (typeof code === 'string' && /^[A-Z0-9_]{2,64}$/.test(code)) return `connection failed (${code})`;
  const name = (error as { name?: unknown } | null)?.name;
  return `failed (${typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'unknown error'})`;
}

function isOffline(error: unknown): boolean {
  const name = (error as { name?: unknown; constructor?: { name?: unknown } } | null)?.constructor?.name;
  return name === 'ClientOfflineError' || name === 'ClientClosedError';
}

function isCommandClient(value: unknown): value is RedisCommandClient {
  const client = value as Partial<Record<keyof RedisCommandClient, unknown>> | null;
  return client !== null && typeof client === 'object' && typeof client.set === 'function' && typeof client.get === 'function' && typeof client.eval === 'function';
}

function checkUrls(url: string | readonly string[], allowPlaintext: boolean, feature: string): readonly string[] {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new DualAuthError(`${feature}: url must not be empty`, 'ERR_INVALID_ARGUMENT');
  const schemes = new Set<string>();
  for (const text of urls) {
    let parsed: URL;
    try {
      parsed = new URL(String(text));
    } catch {
      throw new DualAuthError(`${feature}: url must be a redis:// or rediss:// URL`, 'ERR_INVALID_ARGUMENT');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new DualAuthError(`${feature}: url must be a redis:// or rediss:// URL`, 'ERR_INVALID_ARGUMENT');
    }
    if (parsed.protocol === 'redis:' && !allowPlaintext && !isLoopbackHost(parsed.hostname)) {
      throw new DualAuthError(`${feature}: redis:// sends the password in clear; use rediss:// (TLS), or allowPlaintext for a private network`, 'ERR_INSECURE_URL');
    }
    schemes.add(parsed.protocol);
  }
  if (schemes.size > 1) throw new DualAuthError(`${feature}: cluster seed URLs must all be redis:// or all rediss://`, 'ERR_INVALID_ARGUMENT');
  return urls;
}

/** Closes gracefully (pending commands finish) within `graceMs`, then for good. */
async function closeClient(client: OwnedClient, graceMs = 0): Promise<void> {
  if (graceMs > 0 && typeof client.close === 'function') {
    let timer: NodeJS.Timeout | undefined;
    const closing = client.close().catch(() => {});
    await Promise.race([closing, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }
  try {
    client.destroy();
  } catch {
    // already closed
  }
}
