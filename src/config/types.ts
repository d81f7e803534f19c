/** The IAM vendors dual-auth speaks to. */
export type Vendor = 'keycloak' | 'auth0' | 'okta' | 'entraid';

export const VENDORS: readonly Vendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];

interface CommonConfig {
  /** OAuth token endpoint; must be https. */
  tokenUrl: string;
  /** The agent's OAuth client id. */
  clientId: string;
  /** The agent's client secret (signs HS256 client assertions; EntraID: client_secret_post). */
  clientSecret: string;
}

export interface KeycloakConfig extends CommonConfig {
  vendor: 'keycloak';
  /** Client-assertion audience; default: the realm URL derived from tokenUrl. */
  audience?: string | undefined;
}

export interface Auth0Config extends CommonConfig {
  vendor: 'auth0';
  /** The API identifier sent as `audience` (API_AUDIENCE). */
  audience: string;
}

export interface OktaConfig extends CommonConfig {
  vendor: 'okta';
  /** The API audience (API_AUDIENCE); required as in the reference. */
  audience: string;
}

export interface EntraIDConfig extends CommonConfig {
  vendor: 'entraid';
  /** API_SCOPE, e.g. `https://api.example.com/.default`. */
  scope: string;
  /** Path to the application's RS256 private key (PEM) that signs the act assertion. */
  appPrivateKeyPath: string;
  /** APP_ID: issuer and subject of the act assertion. */
  appId: string;
  /** API_AUDIENCE: audience of the act assertion. */
  actAudience: string;
}

/** What `getConfig()` returns: a discriminated union on `vendor`. */
export type DualAuthConfig = KeycloakConfig | Auth0Config | OktaConfig | EntraIDConfig;

/**
 * An EntraID agent that signs no act assertion (delegation 'token-exchange' or 'assertion'):
 * it needs no application key, APP_ID or act audience.
 */
export type EntraIDAgentConfig = Omit<EntraIDConfig, 'appPrivateKeyPath' | 'appId' | 'actAudience'>;

/** What `getConfig({ delegation: 'token-exchange' | 'assertion' })` returns. */
export type DelegatedAgentConfig = KeycloakConfig | Auth0Config | OktaConfig | EntraIDAgentConfig;
