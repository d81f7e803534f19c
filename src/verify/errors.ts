/**
 * Maps jose's failures to DualAuthError codes and codes to HTTP statuses.
 * Messages are fixed texts: never the token, a claim value, an email or a name.
 */
import { DualAuthError, type DualAuthErrorCode } from '../errors.js';

type Subject = 'token' | 'assertion';

interface JoseLike {
  code?: unknown;
  claim?: unknown;
  name?: unknown;
}

const CLAIM_TEXT: Record<string, string> = {
  iss: 'issuer is not accepted',
  aud: 'audience is not accepted',
  nbf: 'is not yet valid (nbf)',
  iat: 'issued-at (iat) is invalid',
  exp: 'expiry (exp) is invalid',
  sub: 'subject is not accepted',
  typ: 'type (typ) is not accepted',
};

/** Turns anything thrown by jwtVerify (or a key resolver) into a DualAuthError. */
export function mapVerifyError(error: unknown, subject: Subject): DualAuthError {
  if (error instanceof DualAuthError) return error;
  const what = subject === 'token' ? 'Access token' : 'Act assertion';
  const invalid: DualAuthErrorCode = subject === 'token' ? 'ERR_TOKEN_INVALID' : 'ERR_ACT_ASSERTION_INVALID';
  const code = typeof (error as JoseLike | null)?.code === 'string' ? ((error as JoseLike).code as string) : undefined;
  // jose's claim errors carry the whole claims set (`payload`: act.email, act.name...). Such an
  // error is never kept as `cause`, so a logger that serialises causes cannot leak it.
  const cause = error !== null && typeof error === 'object' && 'payload' in error ? undefined : error;
  const fail = (message: string, c: DualAuthErrorCode = invalid) => new DualAuthError(message, c, cause === undefined ? undefined : { cause });

  switch (code) {
    case 'ERR_JWT_EXPIRED': {
      const claim = (error as JoseLike).claim;
      const text = claim === 'iat' ? `${what} is too old (iat)` : `${what} has expired`;
      return fail(text, subject === 'token' ? 'ERR_TOKEN_EXPIRED' : 'ERR_ACT_ASSERTION_INVALID');
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = String((error as JoseLike).claim ?? '');
      const reason = (error as { reason?: unknown }).reason;
      if (reason === 'missing') return fail(`${what} lacks a required claim (${claim.replace(/[^a-z_]/gi, '')})`);
      return fail(`${what} ${CLAIM_TEXT[claim] ?? 'has an invalid claim'}`);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return fail(`${what} signature verification failed`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return fail(`${what} signing algorithm is not allowed`);
    case 'ERR_JOSE_NOT_SUPPORTED':
      return fail(`${what} uses an unsupported algorithm or key`);
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return fail(`${what} is signed with a key the issuer does not publish`);
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return fail(`${what} matches several keys in the key set`);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return fail(`${what} is malformed`);
    case 'ERR_JWKS_TIMEOUT':
      return new DualAuthError('JWKS request timed out', 'ERR_JWKS_UNAVAILABLE', { cause: error });
    case 'ERR_JOSE_GENERIC':
    case 'ERR_JWKS_INVALID':
      // Only the remote JWKS fetch raises these: non-200 answer or not a JWKS.
      return new DualAuthError('JWKS could not be loaded', 'ERR_JWKS_UNAVAILABLE', { cause: error });
    default:
      // e.g. a TypeError for a key that cannot serve the header's alg.
      return fail(`${what} could not be verified`);
  }
}

const STATUS: Partial<Record<string, number>> = {
  ERR_TOKEN_MISSING: 401,
  ERR_TOKEN_INVALID: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_TOKEN_NO_ACT: 401,
  ERR_ACT_ASSERTION_INVALID: 401,
  ERR_ACT_ASSERTION_MISSING: 401,
  ERR_ACT_ASSERTION_AGENT_MISMATCH: 401,
  ERR_ACT_ASSERTION_REPLAY: 401,
  ERR_TOKEN_LAYOUT: 401,
  ERR_TOKEN_AGENT_ONLY: 401,
  ERR_TOKEN_NOT_DELEGATED: 401,
  ERR_TOKEN_AGENT_NOT_ALLOWED: 401,
  ERR_FORBIDDEN: 403,
  ERR_JWKS_UNAVAILABLE: 503,
  ERR_ABORTED: 503,
  ERR_TIMEOUT: 503,
  ERR_NETWORK: 503,
  // The replay store (e.g. Redis) could not be asked: refused, never accepted; worth a retry.
  ERR_REPLAY_STORE_UNAVAILABLE: 503,
};

/**
 * The HTTP status a resource server answers for an error: 401 no or invalid
 * credentials, 403 valid but not allowed, 503 the IAM's keys or the replay store
 * unreachable, 500
 * anything else (misconfiguration, bugs).
 */
export function httpStatusFor(error: unknown): number {
  if (error instanceof DualAuthError) return STATUS[error.code] ?? 500;
  return 500;
}
