/**
 * Who vouches for the person a token request acts for (docs/delegation.md):
 * - 'act' (the reference, the default): the agent names the person in the `act`
 *   claim of its own client assertion (Entra ID: in an act assertion it signs);
 * - 'token-exchange': the IAM, from the person's own token (RFC 8693 and each
 *   vendor's variant: On-Behalf-Of);
 * - 'assertion': the application that signed the person in, in an act assertion
 *   the agent forwards unchanged beside an agent-only token.
 */
import { DualAuthError } from '../errors.js';

export type Delegation = 'act' | 'token-exchange' | 'assertion';

export const DELEGATIONS: readonly Delegation[] = Object.freeze(['act', 'token-exchange', 'assertion']);

/** The `delegation` option, checked once at construction. Default is 'act' (the reference). */
export function parseDelegation(value: unknown): Delegation {
  if (value === undefined) return 'act';
  if (typeof value === 'string' && (DELEGATIONS as readonly string[]).includes(value)) return value as Delegation;
  throw new DualAuthError(`Invalid delegation: must be one of: ${DELEGATIONS.join(', ')}`, 'ERR_CONFIGURATION');
}
