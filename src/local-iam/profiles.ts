/**
 * Vendor profiles: where each IAM puts its endpoints, which client
 * authentication it uses, and how its access tokens look. The local IAM mounts
 * one oidc-provider instance under the vendor's path prefix and reshapes the
 * JWT access token payload to the vendor's claim layout, so the real adapters
 * run unchanged against it.
 */
import { createHash } from 'node:crypto';

export type LocalIamVendor = 'keycloak' | 'auth0' | 'okta' | 'entraid';

export const LOCAL_IAM_VENDORS: readonly LocalIamVendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];

/** Names used by every profile (one realm / tenant / authorization server). */
export const REALM = 'dual-auth';
export const OKTA_AUTH_SERVER_ID = 'ausdualauth0local';
export const ENTRA_TENANT_ID = '8f1c2a4e-0d1b-4c3a-9e5f-6a7b8c9d0e1f';

/** Scopes the demo API knows; the agent is granted `finance.read`. */
export const API_SCOPES = ['finance.read', 'finance.write'] as const;
export const AGENT_GRANTED_SCOPES = ['finance.read'];
/** The role the agent holds (Keycloak realm role, Entra app role). */
export const AGENT_ROLE = 'FinanceAgent';
/** The role the test person holds (Keycloak realm role): their tokens carry it, an agent's own do not. */
export const USER_ROLE = 'FinanceUser';
/** The web app the person signs in to: their own token is issued to it, not to the agent. */
export const WEB_APP_CLIENT_ID = 'finance-web-app';

/**
 * The audience a person's token must name for the agent to exchange it, as each vendor
 * addresses a token to the party that will exchange it: Keycloak and Entra ID the agent's
 * client id; Auth0 the API identifier of the agent's Custom API client; Okta the audience
 * of the agent's API on the authorization server.
 */
export function agentSubjectAudience(vendor: LocalIamVendor, agentClientId: string): string {
  switch (vendor) {
    case 'auth0':
      return `https://agents.local.test/${agentClientId}`;
    case 'okta':
      return `api://${agentClientId}`;
    default:
      return agentClientId;
  }
}

export interface VendorProfile {
  vendor: LocalIamVendor;
  /** Path prefix oidc-provider is mounted under ('' = the origin). */
  mountPath: string;
  /** Issuer for a given origin (scheme://host:port). */
  issuer(origin: string): string;
  /** Routes relative to the mount path. */
  routes: { token: string; jwks: string };
  /** Extra public path that serves the discovery document (Entra's /v2.0/ form), relative to the origin. */
  discoveryAlias?: string;
  clientAuthMethod: 'client_secret_jwt' | 'client_secret_post';
  /** Default access token lifetime of the vendor, in seconds. */
  defaultTtlSeconds: number;
  /** Header `typ` of the vendor's access tokens. */
  tokenTyp: string;
}

export const PROFILES: Record<LocalIamVendor, VendorProfile> = {
  keycloak: {
    vendor: 'keycloak',
    mountPath: `/realms/${REALM}`,
    issuer: (origin) => `${origin}/realms/${REALM}`,
    routes: { token: '/protocol/openid-connect/token', jwks: '/protocol/openid-connect/certs' },
    clientAuthMethod: 'client_secret_jwt',
    defaultTtlSeconds: 300,
    tokenTyp: 'JWT',
  },
  auth0: {
    vendor: 'auth0',
    mountPath: '',
    // Auth0 issuers end with '/'; the reference's assertion audience is exactly that.
    issuer: (origin) => `${origin}/`,
    routes: { token: '/oauth/token', jwks: '/.well-known/jwks.json' },
    clientAuthMethod: 'client_secret_jwt',
    defaultTtlSeconds: 86_400,
    tokenTyp: 'at+jwt',
  },
  okta: {
    vendor: 'okta',
    mountPath: `/oauth2/${OKTA_AUTH_SERVER_ID}`,
    issuer: (origin) => `${origin}/oauth2/${OKTA_AUTH_SERVER_ID}`,
    routes: { token: '/v1/token', jwks: '/v1/keys' },
    clientAuthMethod: 'client_secret_jwt',
    defaultTtlSeconds: 3600,
    tokenTyp: 'JWT',
  },
  entraid: {
    vendor: 'entraid',
    mountPath: `/${ENTRA_TENANT_ID}`,
    issuer: (origin) => `${origin}/${ENTRA_TENANT_ID}/v2.0`,
    routes: { token: '/oauth2/v2.0/token', jwks: '/discovery/v2.0/keys' },
    discoveryAlias: `/${ENTRA_TENANT_ID}/v2.0/.well-known/openid-configuration`,
    clientAuthMethod: 'client_secret_post',
    defaultTtlSeconds: 3599,
    tokenTyp: 'JWT',
  },
};

export function isLocalIamVendor(value: unknown): value is LocalIamVendor {
  return typeof value === 'string' && (LOCAL_IAM_VENDORS as readonly string[]).includes(value);
}

/** What the claim shaper knows about one issued token. */
export interface TokenFacts {
  issuer: string;
  audience: string;
  clientId: string;
  /** Stable per-client object id (Keycloak service-account user, Entra service principal). */
  clientObjectId: string;
  jti: string;
  iat: number;
  exp: number;
  /** Granted scopes (already filtered to the API's scopes). */
  scopes: string[];
  /** `act` from the verified client assertion, if it carried one. */
  act?: Record<string, unknown>;
  tenantId: string;
}

/** What the claim shapers know about a token issued for a person. */
export interface PersonTokenFacts {
  issuer: string;
  /** Login token: the agent's subject audience; delegated token: the API audience. */
  audience: string;
  /** The client the token is issued to: the web app (login) or the agent (delegated). */
  clientId: string;
  /** The person's IAM id. */
  userId: string;
  jti: string;
  iat: number;
  exp: number;
  scopes: string[];
  tenantId: string;
}

/**
 * The person's own access token as the web app holds it after their sign-in: issued to the
 * web app, addressed to the agent (so that the agent may exchange it), no act.
 */
export function shapeLoginTokenClaims(vendor: LocalIamVendor, t: PersonTokenFacts): Record<string, unknown> {
  const base = { iss: t.issuer, iat: t.iat, exp: t.exp, jti: t.jti };
  switch (vendor) {
    case 'keycloak':
      return { ...base, aud: [t.audience], sub: t.userId, typ: 'Bearer', azp: t.clientId, realm_access: { roles: [USER_ROLE] }, scope: 'openid' };
    case 'auth0':
      return { ...base, aud: [t.audience], sub: t.userId, azp: t.clientId, scope: 'openid' };
    case 'okta':
      return { ver: 1, ...base, aud: t.audience, cid: t.clientId, uid: t.userId, sub: t.userId, scp: ['openid'] };
    case 'entraid':
      return { ...base, aud: t.audience, ...entraPersonClaims(t), azp: t.clientId, azpacr: '0', scp: 'access_as_user' };
  }
}

/**
 * The access token each vendor issues when the agent exchanges the person's token (RFC 8693
 * layout: the person is `sub`, the agent the client claim):
 * - Keycloak standard token exchange (with the dual-auth act mapper): `azp` = agent, `act.sub` = agent,
 *   the person's realm roles (as the real Keycloak 26.7 issues it, see test/keycloak);
 * - Auth0 On-Behalf-Of: `azp` = agent, `act.sub` = agent (Auth0 tracks the delegation chain in `act`);
 * - Okta On-Behalf-Of: `cid` = agent, `uid`/`sub` = person, no `act`;
 * - Entra ID On-Behalf-Of: `oid`/`sub` = person, `azp`/`appid` = agent, delegated scopes in `scp`, no roles, no `act`.
 */
export function shapeDelegatedTokenClaims(vendor: LocalIamVendor, t: PersonTokenFacts): Record<string, unknown> {
  const base = { iss: t.issuer, aud: t.audience, iat: t.iat, exp: t.exp, jti: t.jti };
  switch (vendor) {
    case 'keycloak':
      return {
        ...base,
        sub: t.userId,
        typ: 'Bearer',
        azp: t.clientId,
        realm_access: { roles: [USER_ROLE] },
        scope: t.scopes.join(' '),
        act: { sub: t.clientId },
      };
    case 'auth0':
      return { ...base, sub: t.userId, azp: t.clientId, scope: t.scopes.join(' '), permissions: t.scopes, act: { sub: t.clientId } };
    case 'okta':
      return { ver: 1, ...base, cid: t.clientId, uid: t.userId, sub: t.userId, scp: t.scopes };
    case 'entraid':
      return { ...base, ...entraPersonClaims(t), azp: t.clientId, appid: t.clientId, azpacr: '1', scp: t.scopes.join(' ') };
  }
}

/**
 * The claims of an Entra ID v2.0 token that names a person. Their `sub` is pairwise: the same
 * person has another `sub` for each application (43 base64url characters), while `oid` is their
 * one object id. (In an app-only token `sub` = `oid`, the service principal.)
 */
function entraPersonClaims(t: PersonTokenFacts): Record<string, unknown> {
  const pairwiseSubject = createHash('sha256').update(`${t.userId}\n${t.audience}`).digest('base64url');
  return { nbf: t.iat, ver: '2.0', tid: t.tenantId, oid: t.userId, sub: pairwiseSubject };
}

/**
 * The access token payload the vendor would issue for a client credentials grant
 * with a dual-subject client assertion.
 */
export function shapeAccessTokenClaims(vendor: LocalIamVendor, t: TokenFacts): Record<string, unknown> {
  const base = { iss: t.issuer, aud: t.audience, iat: t.iat, exp: t.exp, jti: t.jti };
  const act = t.act ? { act: t.act } : {};
  switch (vendor) {
    case 'keycloak':
      return {
        ...base,
        typ: 'Bearer',
        sub: t.clientObjectId,
        azp: t.clientId,
        preferred_username: `service-account-${t.clientId}`,
        clientId: t.clientId,
        realm_access: { roles: [AGENT_ROLE, `default-roles-${REALM}`] },
        scope: t.scopes.join(' '),
        ...act,
      };
    case 'auth0':
      return {
        ...base,
        sub: `${t.clientId}@clients`,
        azp: t.clientId,
        gty: 'client-credentials',
        scope: t.scopes.join(' '),
        permissions: t.scopes,
        ...act,
      };
    case 'okta':
      return {
        ver: 1,
        ...base,
        sub: t.clientId,
        cid: t.clientId,
        scp: t.scopes,
        ...act,
      };
    case 'entraid':
      // Entra app-only tokens carry no act: the human travels in X-Act-Assertion.
      return {
        ...base,
        nbf: t.iat,
        ver: '2.0',
        tid: t.tenantId,
        sub: t.clientObjectId,
        oid: t.clientObjectId,
        azp: t.clientId,
        appid: t.clientId,
        azpacr: '1',
        roles: [AGENT_ROLE],
      };
  }
}
