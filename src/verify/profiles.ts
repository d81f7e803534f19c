/**
 * Vendor profiles: where each IAM puts the agent's client id, its roles and its
 * scopes in an access token, and where the JWKS lives by default.
 */
import type { JWTPayload } from 'jose';
import type { Vendor } from './types.js';

export interface VendorProfile {
  vendor: Vendor;
  /** The agent's client id, or undefined when the token names none. */
  agentId(claims: JWTPayload): string | undefined;
  roles(claims: JWTPayload): string[];
  scopes(claims: JWTPayload): string[];
  /** The act (human) comes from the X-Act-Assertion instead of the token (EntraID). */
  actFromAssertion: boolean;
  /** The JWKS URL under an issuer URL, when the vendor publishes it at a fixed path. */
  defaultJwksUri(issuer: string): string | undefined;
}

const EMPTY: string[] = [];

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** An array of strings (non-strings dropped) or a space-separated string. */
function list(value: unknown): string[] {
  if (typeof value === 'string') return value.length === 0 ? EMPTY : value.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return EMPTY;
}

function scopes(claims: JWTPayload): string[] {
  return claims.scope !== undefined ? list(claims.scope) : list(claims.scp);
}

function trimSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

const keycloak: VendorProfile = {
  vendor: 'keycloak',
  // Keycloak 26 adds `client_id` to service-account tokens; `azp` is always there.
  agentId: (c) => str(c.azp) ?? str(c.client_id),
  roles: (c) => list((c.realm_access as { roles?: unknown } | undefined)?.roles),
  scopes,
  actFromAssertion: false,
  defaultJwksUri: (iss) => `${trimSlash(iss)}/protocol/openid-connect/certs`,
};

const auth0: VendorProfile = {
  vendor: 'auth0',
  // Client-credentials tokens: sub = "<client id>@clients", azp = client id;
  // the RFC 9068 token profile names the client in `client_id` instead.
  agentId: (c) => {
    const azp = str(c.azp) ?? str(c.client_id);
    if (azp) return azp;
    const sub = str(c.sub);
    return sub?.endsWith('@clients') ? str(sub.slice(0, -'@clients'.length)) : undefined;
  },
  roles: (c) => list(c.permissions),
  scopes,
  actFromAssertion: false,
  defaultJwksUri: (iss) => `${trimSlash(iss)}/.well-known/jwks.json`,
};

const okta: VendorProfile = {
  vendor: 'okta',
  agentId: (c) => str(c.cid),
  // Okta access tokens carry no roles; the granted scopes (`scp`) are what policies check.
  roles: (c) => list(c.scp),
  scopes,
  actFromAssertion: false,
  // Custom authorization servers: {issuer}/v1/keys.
  defaultJwksUri: (iss) => `${trimSlash(iss)}/v1/keys`,
};

const entraid: VendorProfile = {
  vendor: 'entraid',
  // v1 tokens: appid; v2 tokens: azp.
  agentId: (c) => str(c.appid) ?? str(c.azp),
  roles: (c) => list(c.roles),
  scopes,
  actFromAssertion: true,
  defaultJwksUri: (iss) => {
    // v2: https://login.microsoftonline.com/{tenant}/v2.0 -> {tenant}/discovery/v2.0/keys
    if (/\/v2\.0\/?$/.test(iss)) return iss.replace(/\/v2\.0\/?$/, '/discovery/v2.0/keys');
    // v1: https://sts.windows.net/{tenant}/ -> login.microsoftonline.com/{tenant}/discovery/keys
    const v1 = /^https:\/\/sts\.windows\.net\/([^/]+)\/?$/.exec(iss);
    if (v1) return `https://login.microsoftonline.com/${v1[1]}/discovery/keys`;
    return undefined;
  },
};

export const PROFILES: Readonly<Record<Vendor, VendorProfile>> = Object.freeze({ keycloak, auth0, okta, entraid });

export function getProfile(vendor: string): VendorProfile | undefined {
  return Object.hasOwn(PROFILES, vendor) ? PROFILES[vendor as Vendor] : undefined;
}
