/**
 * Where reused tokens live: the in-memory `TokenCache` of one process, or a
 * shared store (`RedisTokenCache` from `dual-auth/redis`) for several replicas.
 * Every store is keyed by `tokenCacheKey`, the one place that says what makes
 * two token requests interchangeable.
 */
import { createHash } from 'node:crypto';
import type { BaseAdapter, TokenRequestParams } from '../adapters/base.js';
import type { TokenResponse } from '../domain/token-response.js';

/** A token cache: the `cache` option of InSessionTokenRequest and OutOfSessionTokenRequest accepts one. */
export interface TokenStore {
  /**
   * The token stored under `key` while it may still be reused; otherwise the
   * result of `request()`, stored for the next callers. Concurrent calls for one
   * key share one request; a failed request is never stored.
   */
  getOrRequest(key: string, request: () => Promise<TokenResponse>): Promise<TokenResponse>;
}

/** The adapter fields that tell one IAM client from another. */
export type TokenCacheAdapterIdentity = Pick<BaseAdapter, 'tokenUrl' | 'clientId' | 'audience'> & { readonly delegation?: BaseAdapter['delegation'] };

/**
 * Request fields that are credentials: in the key as `sha256:` + their SHA-256, never in clear.
 * `subjectToken` and `actAssertion` are the TokenRequestParams marked SENSITIVE; `actorToken`
 * (RFC 8693) and `clientAssertion` (RFC 7523) are no request field today, listed so that a field
 * added under either name is hashed from the start. Everything else, the whole `act` included,
 * is in the key as given: keep keys out of logs (RedisTokenCache stores only their HMAC).
 */
const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(['subjectToken', 'actorToken', 'actAssertion', 'clientAssertion']);
/** Request fields that do not change the token. */
const IGNORED_FIELDS: ReadonlySet<string> = new Set(['signal']);
/** With delegation 'assertion': the token is the agent's own, the same for every person. */
const AGENT_ONLY_IGNORED_FIELDS: ReadonlySet<string> = new Set(['signal', 'actAssertion', 'act']);

/**
 * The cache key of a token request: the IAM client (adapter class, token URL,
 * client id, audience, delegation mode) and every request field (agent, the whole act, scopes,
 * and any field added later, such as a subject token), so two people, two
 * agents or two audiences never share a token. Credentials are hashed. With
 * delegation 'assertion' the token names no person: agent, scopes and the
 * adapter's audience make the key, and the assertion travels per request.
 * The result is canonical JSON: equal requests give equal keys.
 */
export function tokenCacheKey(adapter: TokenCacheAdapterIdentity, params: TokenRequestParams): string {
  const fields: Record<string, unknown> = {};
  // Delegation 'assertion': the IAM issues the agent's own token, whoever the person is; the assertion
  // (and the act, which is only logged) travel with each request, not in the token.
  const ignored = adapter.delegation === 'assertion' ? AGENT_ONLY_IGNORED_FIELDS : IGNORED_FIELDS;
  for (const [name, value] of Object.entries(params)) {
    if (ignored.has(name) || value === undefined) continue;
    if (name === 'scope') fields.scope = typeof value === 'string' ? value : [...(value as readonly string[])].join(' ');
    else if (CREDENTIAL_FIELDS.has(name) && typeof value === 'string') fields[name] = `sha256:${createHash('sha256').update(value).digest('base64url')}`;
    else fields[name] = value;
  }
  return JSON.stringify(['v1', adapter.constructor.name, adapter.tokenUrl, adapter.clientId, adapter.audience ?? null, adapter.delegation ?? null, canonical(fields)]);
}

/** JSON-ready value with object keys sorted, so equal acts give equal keys. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/** True for a TokenStore instance (as opposed to TokenCacheOptions). */
export function isTokenStore(value: unknown): value is TokenStore {
  return value !== null && typeof value === 'object' && typeof (value as { getOrRequest?: unknown }).getOrRequest === 'function';
}
