/**
 * Optional token reuse (the reference requests a new token for every call).
 * A token is reused for the same agent, the same person and the same scopes until
 * shortly before it or its act assertion expires; concurrent identical requests
 * share one IAM round trip. Bounded; least recently used go first.
 * The person is what the request sends to vouch for them: the whole act, or (hashed)
 * the person's own token (token exchange) or the application's assertion, so two
 * people never share a token.
 */
import { createHash } from 'node:crypto';
import type { TokenRequestParams } from '../adapters/base.js';
import { ACCESS_TOKEN_TYPE } from '../adapters/delegation.js';
import type { TokenResponse } from '../domain/token-response.js';
import type { Act } from '../domain/act.js';

export interface TokenCacheOptions {
  /** Most tokens kept. Default 1000. */
  maxEntries?: number;
  /** Stop reusing a token this many seconds before it expires. Default 30. */
  skewSeconds?: number;
}

interface Entry {
  token: Promise<TokenResponse>;
  reuseUntil: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly skewMs: number;

  constructor(options: TokenCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.skewMs = (options.skewSeconds ?? 30) * 1000;
  }

  /** The token for these request parameters: reused, shared with a request under way, or requested. */
  async getOrRequest(params: CacheKeyParams, request: () => Promise<TokenResponse>): Promise<TokenResponse>;
  async getOrRequest(agentId: string, act: Act, scopes: readonly string[] | string, request: () => Promise<TokenResponse>): Promise<TokenResponse>;
  async getOrRequest(
    first: CacheKeyParams | string,
    second: Act | (() => Promise<TokenResponse>),
    scopes?: readonly string[] | string,
    third?: () => Promise<TokenResponse>,
  ): Promise<TokenResponse> {
    const [key, request] =
      typeof first === 'string'
        ? [tokenCacheKey({ agentId: first, act: second as Act, scope: scopes ?? [] }), third!]
        : [tokenCacheKey(first), second as () => Promise<TokenResponse>];
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
      entry.reuseUntil = now + lifetimeMs(token) - this.skewMs;
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

/** What identifies a token in the cache (the token request's parameters). */
export type CacheKeyParams = Pick<TokenRequestParams, 'agentId' | 'act' | 'scope' | 'subjectToken' | 'subjectTokenType' | 'actAssertion'>;

/**
 * The cache key of a token request: agent, scopes, and what vouches for the person. The person's
 * token and the application's assertion enter it as SHA-256 digests: the key holds no credential.
 */
export function tokenCacheKey(params: CacheKeyParams): string {
  const scopes = typeof params.scope === 'string' ? params.scope : [...params.scope].join(' ');
  if (params.subjectToken !== undefined) {
    return JSON.stringify(['token-exchange', params.agentId, digest(params.subjectToken), params.subjectTokenType ?? ACCESS_TOKEN_TYPE, scopes]);
  }
  if (params.actAssertion !== undefined) return JSON.stringify(['assertion', params.agentId, digest(params.actAssertion), scopes]);
  return JSON.stringify([params.agentId, canonical(params.act), scopes]);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function lifetimeMs(token: TokenResponse): number {
  let seconds = token.expiresIn;
  if (token.actAssertion) {
    const exp = assertionExp(token.actAssertion);
    if (exp !== undefined) seconds = Math.min(seconds, exp - Date.now() / 1000);
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

/** JSON with sorted keys, so equal acts give equal keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}
