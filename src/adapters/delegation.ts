/**
 * The per-request inputs of delegation 'token-exchange' and 'assertion' (see
 * src/domain/delegation.ts for the three modes) and the RFC 8693 names they use.
 */
import { DualAuthError } from '../errors.js';
import type { Delegation } from '../domain/delegation.js';
import { isStrictCompactJws } from '../jwt/base64url.js';
import { MAX_JWT_LENGTH } from '../jwt/verifier.js';

export { DELEGATIONS, parseDelegation, type Delegation } from '../domain/delegation.js';

/** RFC 8693 grant type of a token exchange request. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 token type of an OAuth access token: the default `subjectTokenType`. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const MAX_TOKEN_TYPE_LENGTH = 256;

/** What the exchange form of a vendor is built from. */
export interface ExchangeRequest {
  agentId: string;
  /** The person's own token. SENSITIVE: never logged, never in a message. */
  subjectToken: string;
  /** Its RFC 8693 token type URI. */
  subjectTokenType: string;
  scopes: readonly string[];
}

/** The `scope` field of an exchange request: present only when scopes are asked for. */
export function scopeField(scopes: readonly string[]): { scope?: string } {
  return scopes.length > 0 ? { scope: scopes.join(' ') } : {};
}

/** The subject token and its type of a token-exchange request; the messages never show the token. */
export function checkSubjectToken(subjectToken: unknown, subjectTokenType: unknown): { subjectToken: string; subjectTokenType: string } {
  if (typeof subjectToken !== 'string' || subjectToken.length === 0) {
    throw new DualAuthError("subjectToken (the person's own token) is required with delegation 'token-exchange'", 'ERR_INVALID_ARGUMENT');
  }
  if (subjectToken.length > MAX_JWT_LENGTH || /\s/.test(subjectToken)) {
    throw new DualAuthError(`subjectToken must be one token without whitespace, at most ${MAX_JWT_LENGTH} characters`, 'ERR_INVALID_ARGUMENT');
  }
  if (subjectTokenType === undefined) return { subjectToken, subjectTokenType: ACCESS_TOKEN_TYPE };
  if (typeof subjectTokenType !== 'string' || !/^\S+:\S+$/.test(subjectTokenType) || subjectTokenType.length > MAX_TOKEN_TYPE_LENGTH) {
    throw new DualAuthError('subjectTokenType must be a token type URI, e.g. urn:ietf:params:oauth:token-type:access_token', 'ERR_INVALID_ARGUMENT');
  }
  return { subjectToken, subjectTokenType };
}

/** The application's act assertion of an 'assertion' request: a compact JWS, forwarded unchanged. */
export function checkActAssertion(actAssertion: unknown): string {
  if (typeof actAssertion !== 'string' || actAssertion.length === 0) {
    throw new DualAuthError("actAssertion (the application's signed act assertion) is required with delegation 'assertion'", 'ERR_INVALID_ARGUMENT');
  }
  // Strict base64url (RFC 7515 §2), as the API that receives it checks it: no padding, no whitespace, no unused bits set.
  if (actAssertion.length > MAX_JWT_LENGTH || !isStrictCompactJws(actAssertion)) {
    throw new DualAuthError(`actAssertion must be a compact JWS (three base64url parts), at most ${MAX_JWT_LENGTH} characters`, 'ERR_INVALID_ARGUMENT');
  }
  return actAssertion;
}

/** A mode's per-request input, checked: the person's token (token exchange) or the application's assertion. */
export type DelegationInput =
  | { delegation: 'act' }
  | { delegation: 'token-exchange'; subjectToken: string; subjectTokenType: string }
  | { delegation: 'assertion'; actAssertion: string };

/**
 * The one check of a mode's per-request input: the adapter runs it before any I/O, the session
 * handlers before their token cache (a cached agent-only token carries each request's own assertion).
 */
export function checkDelegationInput(
  delegation: Delegation,
  params: { subjectToken?: unknown; subjectTokenType?: unknown; actAssertion?: unknown },
): DelegationInput {
  switch (delegation) {
    case 'token-exchange':
      return { delegation, ...checkSubjectToken(params.subjectToken, params.subjectTokenType) };
    case 'assertion':
      return { delegation, actAssertion: checkActAssertion(params.actAssertion) };
    default:
      return { delegation: 'act' };
  }
}

/** Refuses a per-request input that the adapter's mode does not use (it would be silently dropped). */
export function refuseUnused(delegation: Delegation, params: { subjectToken?: unknown; subjectTokenType?: unknown; actAssertion?: unknown }): void {
  // The usual call gives none of them: no list built per request.
  if (params.subjectToken === undefined && params.subjectTokenType === undefined && params.actAssertion === undefined) return;
  const unused =
    delegation === 'token-exchange'
      ? ['actAssertion']
      : delegation === 'assertion'
        ? ['subjectToken', 'subjectTokenType']
        : ['subjectToken', 'subjectTokenType', 'actAssertion'];
  const given = unused.filter((name) => (params as Record<string, unknown>)[name] !== undefined);
  if (given.length > 0) {
    throw new DualAuthError(`${given.join(', ')} not used with delegation '${delegation}': create the adapter with the matching delegation`, 'ERR_INVALID_ARGUMENT');
  }
}
