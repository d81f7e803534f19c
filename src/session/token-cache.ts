/**
 * Optional token reuse (the reference requests a new token for every call).
 * A token is reused for the same request (see tokenCacheKey: the IAM client,
 * the agent, the whole act, the scopes; with delegation 'assertion' not the
 * assertion, which travels per request) until shortly before it or its act
 * assertion expires; concurrent identical requests share one IAM round trip.
 * Bounded; least recently used go first. One process only: for replicas, see
 * RedisTokenCache in dual-auth/redis.
 */
import type { TokenResponse } from '../domain/token-response.js';
import type { Act } from '../domain/act.js';
import { DualAuthError } from '../errors.js';
import { NON_NEGATIVE, POSITIVE_INTEGER, numberOption } from '../options.js';
import { isTokenStore, tokenCacheKey, type TokenStore } from './token-store.js';

/** Default of TokenCacheOptions.skewSeconds. */
export const DEFAULT_TOKEN_CACHE_SKEW_SECONDS = 30;
const DEFAULT_MAX_ENTRIES = 1000;

export interface TokenCacheOptions {
  /** Most tokens kept; the least recently used goes first. Default is 1000 (tokens). */
  maxEntries?: number;
  /** Stop reusing a token this many seconds before it (or its act assertion) expires. Default is 30 (seconds). */
  skewSeconds?: number;
}

interface Entry {
  token: Promise<TokenResponse>;
  reuseUntil: number;
}

export class TokenCache implements TokenStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly skewMs: number;

  constructor(options: TokenCacheOptions = {}) {
    this.maxEntries = numberOption('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES, POSITIVE_INTEGER);
    this.skewMs = numberOption('skewSeconds', options.skewSeconds, DEFAULT_TOKEN_CACHE_SKEW_SECONDS, NON_NEGATIVE) * 1000;
  }

  /** Tokens held now (requests in flight included): never more than `maxEntries`. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached token for `key` (from tokenCacheKey), or `request()`'s, shared by concurrent callers. */
  async getOrRequest(key: string, request: () => Promise<TokenResponse>): Promise<TokenResponse>;
  /** @deprecated The 1.0 form, keyed by agent, act and scopes only: give a tokenCacheKey instead. */
  async getOrRequest(agentId: string, act: Act, scopes: readonly string[] | string, request: () => Promise<TokenResponse>): Promise<TokenResponse>;
  async getOrRequest(
    first: string,
    second: Act | (() => Promise<TokenResponse>),
    scopes?: readonly string[] | string,
    legacyRequest?: () => Promise<TokenResponse>,
  ): Promise<TokenResponse> {
    const [key, request] =
      typeof second === 'function'
        ? [first, second]
        : [tokenCacheKey({ tokenUrl: '', clientId: '', audience: undefined }, { agentId: first, act: second, scope: scopes ?? [] }), legacyRequest!];
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.reuseUntil > now) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      return hit.token;
    }
    const entry: Entry = { token: request(), reuseUntil: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    try {
      const token = await entry.token;
      entry.reuseUntil = now + tokenLifetimeMs(token, now) - this.skewMs;
      return token;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The `cache` option of the token request handlers. */
export type TokenCacheOption = boolean | TokenCacheOptions | TokenStore;

/** The store a `cache` option asks for: none (the default, as the reference), a new TokenCache, or the given store. */
export function resolveTokenStore(option: TokenCacheOption | undefined): TokenStore | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return new TokenCache();
  if (isTokenStore(option)) return option;
  if (option === null || typeof option !== 'object') {
    throw new DualAuthError('cache must be a boolean, TokenCacheOptions or a token cache instance', 'ERR_INVALID_ARGUMENT');
  }
  return new TokenCache(option);
}

/**
 * How long a token may be used from `now` (epoch ms): its expires_in, or less when
 * its act assertion expires first. Never negative.
 */
export function tokenLifetimeMs(token: TokenResponse, now: number = Date.now()): number {
  let seconds = token.expiresIn;
  if (token.actAssertion) {
    const exp = assertionExp(token.actAssertion);
    if (exp !== undefined) seconds = Math.min(seconds, exp - now / 1000);
  }
  return Math.max(0, seconds * 1000);
}

function assertionExp(jwt: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}
