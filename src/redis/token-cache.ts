/**
 * RedisTokenCache: one token cache for every replica. A token is stored
 * encrypted (see encryption.ts) under a key name that reveals nothing, for its
 * lifetime minus a skew. Concurrent misses for one key make one IAM request
 * across all replicas: in a process they share one promise; across processes
 * the first takes a short lock (SET NX PX) and the others wait for its token
 * (with a bound, then ask the IAM themselves). When Redis is down, tokens come
 * straight from the IAM, and the cache is used again once Redis is back.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenResponse } from '../domain/token-response.js';
import { DualAuthError } from '../errors.js';
import { toLogger, type Logger } from '../logging.js';
import { NON_NEGATIVE, POSITIVE, numberOption } from '../options.js';
import { DEFAULT_TOKEN_CACHE_SKEW_SECONDS, tokenLifetimeMs } from '../session/token-cache.js';
import type { TokenStore } from '../session/token-store.js';
import { RedisConnection, RedisUnavailableError, type RedisConnectionOptions } from './connection.js';
import { parseEncryptionKey, TokenSealer, type EncryptionKeyInput } from './encryption.js';
import { checkKeyPrefix, taggedKey } from './keys.js';

export const DEFAULT_TOKEN_KEY_PREFIX = 'dual-auth:token:';
const DEFAULT_LOCK_TTL_MS = 10_000;
const DEFAULT_LOCK_WAIT_MS = 5_000;
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 100;
const FEATURE = 'RedisTokenCache';

/** Deletes the lock only while it is still ours (it may have expired and been taken by another replica). */
const RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface RedisTokenCacheOptions extends RedisConnectionOptions {
  /**
   * 32 random bytes that encrypt the tokens and name the keys: a Buffer, 64 hex
   * characters or base64. Every replica needs the same key. Required.
   */
  encryptionKey: EncryptionKeyInput;
  /** Prefix of every key. No braces. Default is 'dual-auth:token:'. */
  keyPrefix?: string;
  /** Stop reusing a token this many seconds before it (or its act assertion) expires. Default is 30 (seconds). */
  skewSeconds?: number;
  /**
   * How long one replica may hold the right to ask the IAM for a key, in
   * milliseconds; the lock expires by itself if that replica dies. Default is 10000 (10 seconds).
   */
  lockTtlMs?: number;
  /**
   * How long the other replicas wait for that replica's token before asking the
   * IAM themselves, in milliseconds. Default is 5000 (5 seconds).
   */
  lockWaitMs?: number;
}

/** What is sealed: the token, and until when it may be served (epoch ms). */
interface StoredToken {
  accessToken: string;
  tokenType: string;
  scope: string;
  actAssertion?: string;
  expiresAt: number;
  reuseUntil: number;
}

export class RedisTokenCache implements TokenStore {
  private readonly connection: RedisConnection;
  private readonly keyPrefix: string;
  private readonly sealer: TokenSealer;
  private readonly skewMs: number;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly logger: Logger;
  private readonly inFlight = new Map<string, Promise<TokenResponse>>();

  constructor(options: RedisTokenCacheOptions) {
    this.connection = new RedisConnection(options, FEATURE);
    this.keyPrefix = checkKeyPrefix(options.keyPrefix, DEFAULT_TOKEN_KEY_PREFIX, FEATURE);
    this.sealer = new TokenSealer(parseEncryptionKey(options.encryptionKey));
    this.skewMs = numberOption('skewSeconds', options.skewSeconds, DEFAULT_TOKEN_CACHE_SKEW_SECONDS, NON_NEGATIVE) * 1000;
    this.lockTtlMs = numberOption('lockTtlMs', options.lockTtlMs, DEFAULT_LOCK_TTL_MS, POSITIVE);
    this.lockWaitMs = numberOption('lockWaitMs', options.lockWaitMs, DEFAULT_LOCK_WAIT_MS, NON_NEGATIVE);
    this.logger = toLogger(options.logger);
  }

  /** The shared token for `key` (from tokenCacheKey) while it may be reused, or a new one from `request()`. */
  getOrRequest(key: string, request: () => Promise<TokenResponse>): Promise<TokenResponse> {
    const redisKey = taggedKey(this.keyPrefix, this.sealer.name(key));
    let pending = this.inFlight.get(redisKey);
    if (!pending) {
      pending = this.resolve(redisKey, request).finally(() => this.inFlight.delete(redisKey));
      this.inFlight.set(redisKey, pending);
    }
    return pending;
  }

  /**
   * Connects now rather than at the first token request, e.g. at start-up. The
   * cache works without it (and without Redis: straight to the IAM).
   * @throws DualAuthError ERR_TOKEN_STORE_UNAVAILABLE when Redis cannot be reached in time.
   */
  async connect(): Promise<void> {
    try {
      await this.connection.warmUp();
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      throw new DualAuthError(`Redis token cache unavailable (${error.reason})`, 'ERR_TOKEN_STORE_UNAVAILABLE', { cause: error });
    }
  }

  /** Closes the connection made from `url` (a given client is left open). */
  close(): Promise<void> {
    return this.connection.close();
  }

  private async resolve(redisKey: string, request: () => Promise<TokenResponse>): Promise<TokenResponse> {
    const lockKey = `${redisKey}:lock`;
    const owner = randomBytes(16).toString('base64url');
    try {
      const deadline = Date.now() + this.lockWaitMs;
      for (let pause = FIRST_POLL_MS; ; pause = Math.min(MAX_POLL_MS, pause * 2)) {
        const cached = await this.read(redisKey);
        if (cached) return cached;
        if (await this.lock(lockKey, owner)) return await this.requestAndStore(redisKey, lockKey, owner, request);
        // Another replica is asking the IAM: wait for its token, for lockWaitMs in all (the last pause
        // is cut to the bound, so a waiter neither gives up a pause early nor waits past it).
        const left = deadline - Date.now();
        if (left <= 0) break;
        await sleep(Math.min(pause, left));
      }
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      return request(); // degraded: Redis is down, the IAM is not
    }
    // The other replica took too long: ask the IAM ourselves (and share the result).
    const requestedAt = Date.now();
    const token = await request();
    await this.store(redisKey, token, requestedAt).catch(() => {});
    return token;
  }

  /** Holding the lock: asks the IAM, stores the token, releases the lock. */
  private async requestAndStore(redisKey: string, lockKey: string, owner: string, request: () => Promise<TokenResponse>): Promise<TokenResponse> {
    try {
      // The previous holder may have stored its token and released the lock between our read and our lock.
      const stored = await this.read(redisKey);
      if (stored) return stored;
      const requestedAt = Date.now();
      const token = await request();
      await this.store(redisKey, token, requestedAt).catch(() => {}); // the token is good even if Redis is not
      return token;
    } finally {
      await this.connection.run((client) => client.eval(RELEASE_LOCK, { keys: [lockKey], arguments: [owner] })).catch(() => {});
    }
  }

  private async read(redisKey: string): Promise<TokenResponse | undefined> {
    const sealed = await this.connection.run((client) => client.get(redisKey));
    if (sealed === null || sealed === undefined) return undefined;
    const stored = this.open(sealed, redisKey);
    const now = Date.now();
    // Never an expired token, whatever Redis's TTL says (a clock ahead, a key made persistent).
    if (!stored || stored.reuseUntil <= now) return undefined;
    return new TokenResponse({
      accessToken: stored.accessToken,
      tokenType: stored.tokenType,
      expiresIn: Math.max(0, Math.floor((stored.expiresAt - now) / 1000)),
      scope: stored.scope,
      actAssertion: stored.actAssertion,
    });
  }

  private async store(redisKey: string, token: TokenResponse, requestedAt: number): Promise<void> {
    const lifetimeMs = tokenLifetimeMs(token, requestedAt);
    const reuseUntil = requestedAt + lifetimeMs - this.skewMs;
    const ttlMs = Math.floor(reuseUntil - Date.now());
    if (ttlMs <= 0) return; // too short-lived to share
    const stored: StoredToken = {
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      scope: token.scope,
      ...(token.actAssertion === undefined ? {} : { actAssertion: token.actAssertion }),
      expiresAt: requestedAt + lifetimeMs,
      reuseUntil,
    };
    const sealed = this.sealer.seal(JSON.stringify(stored), redisKey);
    // Overwrites: an entry this key cannot open (or a late duplicate) is replaced.
    await this.connection.run((client) => client.set(redisKey, sealed, { expiration: { type: 'PX', value: ttlMs } }));
  }

  private async lock(lockKey: string, owner: string): Promise<boolean> {
    const reply = await this.connection.run((client) => client.set(lockKey, owner, { condition: 'NX', expiration: { type: 'PX', value: this.lockTtlMs } }));
    return reply === 'OK';
  }

  private open(sealed: unknown, redisKey: string): StoredToken | undefined {
    const plaintext = this.sealer.open(sealed, redisKey);
    if (plaintext !== undefined) {
      try {
        const value = JSON.parse(plaintext) as StoredToken;
        if (typeof value.accessToken === 'string' && typeof value.reuseUntil === 'number' && typeof value.expiresAt === 'number') return value;
      } catch {
        // fall through
      }
    }
    // Not sealed by this key: another deployment's prefix, or tampering. Ignored; a fresh token replaces it.
    this.logger.warn({ event: 'redis_token_cache_unreadable_entry' }, 'A Redis token cache entry could not be decrypted; ignored');
    return undefined;
  }
}
