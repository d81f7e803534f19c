/**
 * Vendor profiles: where each IAM puts the agent's client id, its roles and its
 * scopes in an access token, where the JWKS lives by default, and how to tell
 * the agent's own (client-credentials) token from a token whose subject is a
 * person (docs/delegation.md, "Telling tokens apart").
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
  /**
   * True when the token is positively the client's own (client credentials): its subject is the
   * client, not a person. Such a token never passes as delegated.
   */
  agentOnly(claims: JWTPayload): boolean;
  /** True when the token's subject is positively a person (a login or delegated token): never the agent's own token in the 'assertion' layout. */
  personSubject(claims: JWTPayload): boolean;
  /**
   * The vendor's On-Behalf-Of tokens name the acting client only in the client claim (no `act`), so
   * the 'delegated' layout needs the `agents` allow-list to tell them from the person's own login token.
   */
  delegationNeedsAgents: boolean;
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

function startsWith(value: unknown, prefix: string): boolean {
  return typeof value === 'string' && value.startsWith(prefix);
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
  // Service-account tokens: the `service_account` client scope adds `client_id` (Keycloak 26; `clientId`
  // before), the `profile` scope `preferred_username` = "service-account-<client>". A realm without those
  // scopes issues neither: then only the act mapper's rule (it never copies an act naming the client
  // itself) keeps a client-credentials token from looking delegated.
  agentOnly: (c) => str(c.client_id) !== undefined || str(c.clientId) !== undefined || startsWith(c.preferred_username, 'service-account-'),
  personSubject: (c) => typeof c.preferred_username === 'string' && !startsWith(c.preferred_username, 'service-account-'),
  // Token exchange with the project's act mapper: act.sub = the requesting client.
  delegationNeedsAgents: false,
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
  // Client credentials: sub = "<client id>@clients", gty = "client-credentials" (Access Token Profiles).
  agentOnly: (c) => c.gty === 'client-credentials' || (typeof c.sub === 'string' && c.sub.endsWith('@clients')),
  personSubject: (c) => typeof c.sub === 'string' && c.sub.length > 0 && !auth0.agentOnly(c),
  // On-Behalf-Of Token Exchange records the acting client in `act`.
  delegationNeedsAgents: false,
  defaultJwksUri: (iss) => `${trimSlash(iss)}/.well-known/jwks.json`,
};

const okta: VendorProfile = {
  vendor: 'okta',
  agentId: (c) => str(c.cid),
  // Okta access tokens carry no roles; the granted scopes (`scp`) are what policies check.
  roles: (c) => list(c.scp),
  scopes,
  actFromAssertion: false,
  // Tokens with a user carry `uid` (the user id, sub = their login); client-credentials tokens have sub = cid.
  agentOnly: (c) => str(c.uid) === undefined || (typeof c.sub === 'string' && c.sub === c.cid),
  personSubject: (c) => str(c.uid) !== undefined && c.sub !== c.cid,
  delegationNeedsAgents: true,
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
  // "idtyp: app" is the most accurate signal (an optional claim); `scp` is only in user tokens, and an
  // app-only token's sub is the service principal's oid (Access token claims reference).
  agentOnly: (c) => c.idtyp === 'app' || typeof c.scp !== 'string' || (typeof c.oid === 'string' && c.oid === c.sub),
  personSubject: (c) => c.idtyp === 'user' || (typeof c.scp === 'string' && !entraid.agentOnly(c)),
  // On-Behalf-Of tokens carry no `act`: the agent is only azp/appid.
  delegationNeedsAgents: true,
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
