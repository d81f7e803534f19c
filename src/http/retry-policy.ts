/**
 * When a request is sent again, written as data (as undici's RetryHandler
 * options: methods, statusCodes, errorCodes) rather than as code.
 *
 * The rule (RFC 9110 §9.2.2): a request the server may already have acted on is
 * repeated only when repeating it is harmless, i.e. for idempotent methods, or
 * when the caller made it idempotent with an `Idempotency-Key` header. Any
 * method is repeated when the server says it did not act (429, RFC 6585 §4; 503
 * with Retry-After, RFC 9110 §15.6.4) or when the request never reached it.
 */
import { ConfigurationError } from '../errors.js';
import type { HttpFailureKind } from './errors.js';

export interface RetryPolicy {
  /** Methods repeated on every `statuses` answer and `sentFailures` failure. */
  readonly idempotentMethods: readonly string[];
  /** Answers after which an idempotent request is repeated. */
  readonly statuses: readonly number[];
  /** Answers after which any request is repeated: the server did not act on it. */
  readonly unprocessedStatuses: readonly number[];
  /** The same, only when the answer carries Retry-After (the server says when to come back). */
  readonly unprocessedWithRetryAfter: readonly number[];
  /** Failures after which any request is repeated: it never reached the server. */
  readonly unsentFailures: readonly HttpFailureKind[];
  /** Failures after which an idempotent request is repeated: the connection broke once it was sent. */
  readonly sentFailures: readonly HttpFailureKind[];
  /** A request carrying an `Idempotency-Key` header counts as idempotent. */
  readonly idempotencyKey: boolean;
}

export type RetryPolicyName = 'idempotent' | 'reference';

/** Frozen, lists included: a policy is shared by every client. */
function frozen(policy: RetryPolicy): RetryPolicy {
  for (const list of Object.values(policy)) if (Array.isArray(list)) Object.freeze(list);
  return Object.freeze(policy);
}

export const RETRY_POLICIES: Readonly<Record<RetryPolicyName, RetryPolicy>> = Object.freeze({
  /** The default: RFC 9110's idempotent methods, as undici's RetryHandler defaults. */
  idempotent: frozen({
    idempotentMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'],
    statuses: [429, 500, 502, 503, 504],
    unprocessedStatuses: [429],
    unprocessedWithRetryAfter: [503],
    unsentFailures: ['connect'],
    sentFailures: ['reset'],
    idempotencyKey: true,
  }),
  /**
   * The Python package (urllib3 `Retry(status_forcelist=[429, 500, 502, 503, 504],
   * allowed_methods=[GET, POST, PUT, DELETE, HEAD, OPTIONS])`): POST is repeated on
   * 5xx too. Token requests use it (see src/adapters/base.ts for why that is safe there).
   */
  reference: frozen({
    idempotentMethods: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'],
    statuses: [429, 500, 502, 503, 504],
    unprocessedStatuses: [],
    unprocessedWithRetryAfter: [],
    unsentFailures: ['connect'],
    sentFailures: [],
    idempotencyKey: false,
  }),
});

/** A policy given by name or as data; anything else is a ConfigurationError. */
export function resolveRetryPolicy(policy: RetryPolicy | RetryPolicyName): RetryPolicy {
  const resolved = typeof policy === 'string' ? (Object.hasOwn(RETRY_POLICIES, policy) ? RETRY_POLICIES[policy] : undefined) : policy;
  if (resolved === null || typeof resolved !== 'object' || !Array.isArray(resolved.idempotentMethods)) {
    throw new ConfigurationError(`"retryPolicy" must be 'idempotent', 'reference' or a RetryPolicy`);
  }
  return resolved;
}

/** What happened to one attempt: an answer (its status, whether it said Retry-After) or a failure. */
export type AttemptOutcome = { status: number; retryAfter: boolean } | { failure: HttpFailureKind };

/** True when `policy` allows sending this request again after `outcome`. */
export function mayRetry(policy: RetryPolicy, method: string, headers: Record<string, string> | undefined, outcome: AttemptOutcome): boolean {
  const idempotent = policy.idempotentMethods.includes(method) || (policy.idempotencyKey && hasIdempotencyKey(headers));
  if ('failure' in outcome) {
    return policy.unsentFailures.includes(outcome.failure) || (idempotent && policy.sentFailures.includes(outcome.failure));
  }
  return (
    policy.unprocessedStatuses.includes(outcome.status) ||
    (outcome.retryAfter && policy.unprocessedWithRetryAfter.includes(outcome.status)) ||
    (idempotent && policy.statuses.includes(outcome.status))
  );
}

function hasIdempotencyKey(headers: Record<string, string> | undefined): boolean {
  if (!headers) return false;
  for (const name in headers) if (name.toLowerCase() === 'idempotency-key') return true;
  return false;
}
