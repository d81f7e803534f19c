import { createHash } from 'node:crypto';
import { DualAuthError } from '../errors.js';

/**
 * The human identity carried as the `act` claim. `sub` is the IAM user id
 * (or the email as a fallback); email and name are PII and never logged.
 */
export interface Act {
  sub: string;
  email?: string;
  name?: string;
  /** Entra ID object id, kept when the session has one. */
  oid?: string;
  [claim: string]: unknown;
}

/**
 * The human id as it may be logged. An IAM id is logged as is (it matches the
 * IAM's own logs); a `sub` that is an email (the email fallback, an Entra UPN)
 * is PII, so a stable pseudonym is logged instead.
 */
export function humanIdForLogging(sub: unknown): string | undefined {
  if (typeof sub !== 'string') return undefined;
  return sub.includes('@') ? `sha256:${createHash('sha256').update(sub).digest('hex').slice(0, 16)}` : sub;
}

/** The fields of an act that may be logged: IAM identifiers only. */
export function actForLogging(act: Act): Record<string, unknown> {
  const safe: Record<string, unknown> = { human_id: humanIdForLogging(act.sub), fields_present: Object.keys(act) };
  if ('user_id' in act) safe.user_id = humanIdForLogging(act.user_id);
  if ('oid' in act) safe.oid = act.oid;
  return safe;
}

/** The adapters' check (Python `_validate_act`). */
export function validateAct(act: unknown): asserts act is Act {
  if (act === null || typeof act !== 'object' || Array.isArray(act) || Object.keys(act).length === 0) {
    throw new DualAuthError('Act claim cannot be empty', 'ERR_INVALID_ACT');
  }
  if (!('sub' in act)) throw new DualAuthError("Act claim must contain 'sub' field", 'ERR_INVALID_ACT');
  const sub = (act as { sub: unknown }).sub;
  if (!sub) throw new DualAuthError("Act claim 'sub' field cannot be empty", 'ERR_INVALID_ACT');
  if (typeof sub !== 'string') throw new DualAuthError("Act claim 'sub' field must be a string", 'ERR_INVALID_ACT');
}

/** True when `act` is an object with a non-empty `sub` (the token handlers' check). */
export function hasSub(act: unknown): act is Act {
  return act !== null && typeof act === 'object' && !Array.isArray(act) && Boolean((act as { sub?: unknown }).sub);
}
