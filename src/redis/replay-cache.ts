/**
 * RedisReplayCache: the act JWT / act assertion replay check shared by every
 * replica. One atomic `SET key 1 NX PX ttl`: the first replica to record a jti
 * wins, every other one sees it. Fails closed: when Redis cannot answer within
 * the command timeout, checkAndStore throws ERR_REPLAY_STORE_UNAVAILABLE (a 503
 * on the API side) and the JWT is refused; it never accepts unchecked.
 */
import { createHash } from 'node:crypto';
import type { ReplayCache } from '../domain/replay-cache.js';
import { DualAuthError } from '../errors.js';
import { RedisConnection, RedisUnavailableError, type RedisConnectionOptions } from './connection.js';
import { checkKeyPrefix, taggedKey } from './keys.js';

export const DEFAULT_REPLAY_KEY_PREFIX = 'dual-auth:replay:';
/**
 * Kept this long past `expiresAt`, so replicas whose clocks differ by up to this
 * much still share one window (each computes the TTL from its own clock).
 */
const CLOCK_MARGIN_MS = 5_000;
const FEATURE = 'RedisReplayCache';

export interface RedisReplayCacheOptions extends RedisConnectionOptions {
  /**
   * Prefix of every key. Give the agent side and the API side different ones when
   * they share a Redis. No braces. Default is 'dual-auth:replay:'.
   */
  keyPrefix?: string;
}

export class RedisReplayCache implements ReplayCache {
  private readonly connection: RedisConnection;
  private readonly keyPrefix: string;

  constructor(options: RedisReplayCacheOptions) {
    this.connection = new RedisConnection(options, FEATURE);
    this.keyPrefix = checkKeyPrefix(options.keyPrefix, DEFAULT_REPLAY_KEY_PREFIX, FEATURE);
  }

  /**
   * Records `jti` until `expiresAt` (epoch seconds: the end of its acceptance
   * window); false when some replica recorded it before.
   * @throws DualAuthError ERR_REPLAY_STORE_UNAVAILABLE when Redis cannot answer in time.
   */
  async checkAndStore(jti: string, expiresAt: number): Promise<boolean> {
    if (typeof jti !== 'string' || jti.length === 0) throw new DualAuthError('jti must be a non-empty string', 'ERR_INVALID_ARGUMENT');
    if (!Number.isFinite(expiresAt)) throw new DualAuthError('expiresAt must be a number (epoch seconds)', 'ERR_INVALID_ARGUMENT');
    const key = taggedKey(this.keyPrefix, createHash('sha256').update(jti).digest('base64url'));
    const ttlMs = Math.max(0, Math.ceil(expiresAt * 1000 - Date.now())) + CLOCK_MARGIN_MS;
    const reply = await this.unavailableAsError(this.connection.run((client) => client.set(key, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })));
    return reply === 'OK';
  }

  /**
   * Connects now rather than at the first check, e.g. at start-up, so that the
   * first request does not pay for the connection.
   * @throws DualAuthError ERR_REPLAY_STORE_UNAVAILABLE when Redis cannot be reached in time.
   */
  async connect(): Promise<void> {
    await this.unavailableAsError(this.connection.warmUp());
  }

  private async unavailableAsError<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      throw new DualAuthError(`Redis replay store unavailable (${error.reason}): the JWT is refused`, 'ERR_REPLAY_STORE_UNAVAILABLE', { cause: error });
    }
  }

  /** Closes the connection made from `url` (a given client is left open). */
  close(): Promise<void> {
    return this.connection.close();
  }
}
