/**
 * Authorization after authentication: the agent's roles, the token's scopes,
 * and an application callback for the combined agent-human decision. Every
 * refusal is ERR_FORBIDDEN (403); a callback that throws fails closed.
 */
import { ConfigurationError, DualAuthError } from '../errors.js';
import type { AgentIdentity, AuthorizeCallback, HumanIdentity, VerifyOptions } from './types.js';

export type Policy = (agent: AgentIdentity, human: HumanIdentity, request: unknown) => Promise<void> | void;

export function createPolicy(options: Pick<VerifyOptions, 'requiredRoles' | 'requiredScopes' | 'authorize'>): Policy | undefined {
  const roles = stringList(options.requiredRoles, 'requiredRoles');
  const scopes = stringList(options.requiredScopes, 'requiredScopes');
  const authorize: AuthorizeCallback | undefined = options.authorize;
  if (authorize !== undefined && typeof authorize !== 'function') throw new ConfigurationError('authorize must be a function');
  if (roles.length === 0 && scopes.length === 0 && !authorize) return undefined;

  return async (agent, human, request) => {
    for (const role of roles) {
      if (!agent.roles.includes(role)) throw new DualAuthError('Agent lacks a required role', 'ERR_FORBIDDEN');
    }
    for (const scope of scopes) {
      if (!agent.scopes.includes(scope)) throw new DualAuthError('Token lacks a required scope', 'ERR_FORBIDDEN');
    }
    if (authorize) {
      let allowed: boolean;
      try {
        allowed = await authorize(agent, human, request);
      } catch (cause) {
        if (cause instanceof DualAuthError) throw cause;
        throw new DualAuthError('Authorization callback failed', 'ERR_FORBIDDEN', { cause });
      }
      if (allowed !== true) throw new DualAuthError('Agent may not act for this user here', 'ERR_FORBIDDEN');
    }
  };
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
    throw new ConfigurationError(`${name} must be an array of non-empty strings`);
  }
  return [...value];
}
