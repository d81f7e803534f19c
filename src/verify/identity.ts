/** Builds the agent and human identities from verified claims. */
import type { JWTPayload } from 'jose';
import { DualAuthError, type DualAuthErrorCode } from '../errors.js';
import type { VendorProfile } from './profiles.js';
import type { AgentIdentity, HumanIdentity } from './types.js';

/** The agent `id` (the profile's client claim) with its roles and scopes; `sub` as its subject when the token's sub names the agent. */
export function agentFromClaims(claims: JWTPayload, profile: VendorProfile, id: string, subIsAgent: boolean): AgentIdentity {
  const agent: AgentIdentity = { id, clientId: id, roles: profile.roles(claims), scopes: profile.scopes(claims) };
  if (subIsAgent && typeof claims.sub === 'string') agent.subject = claims.sub;
  return agent;
}

/**
 * The human from an `act` claim: `act.sub` is required and must be a string with
 * more than whitespace in it; email, name and oid are taken when they are strings.
 */
export function humanFromAct(act: unknown, code: DualAuthErrorCode, where: string): HumanIdentity {
  if (act === undefined || act === null) throw new DualAuthError(`${where} has no act claim`, code);
  if (typeof act !== 'object' || Array.isArray(act)) throw new DualAuthError(`${where} act claim is not an object`, code);
  const { sub, email, name, oid } = act as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.trim().length === 0) throw new DualAuthError(`${where} act claim has no sub`, code);
  const human: HumanIdentity = { id: sub };
  if (typeof email === 'string') human.email = email;
  if (typeof name === 'string') human.name = name;
  if (typeof oid === 'string') human.oid = oid;
  return human;
}
