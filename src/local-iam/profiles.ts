/**
 * Vendor profiles: where each IAM puts its endpoints, which client
 * authentication it uses, and how its access tokens look. The local IAM mounts
 * one oidc-provider instance under the vendor's path prefix and reshapes the
 * JWT access token payload to the vendor's claim layout, so the real adapters
 * run unchanged against it.
 */

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
