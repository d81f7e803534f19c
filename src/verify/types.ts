/** The public types of the resource-server side. */
import type { KeyObject } from 'node:crypto';
import type { CryptoKey, JSONWebKeySet, JWK, JWTPayload } from 'jose';
import type { LoggerLike } from '../logging.js';

export type Vendor = 'keycloak' | 'auth0' | 'okta' | 'entraid';

/**
 * A verification key: a Node KeyObject, a WebCrypto CryptoKey, a public JWK, a JWK
 * Set (`{ keys: [...] }`), or PEM text (SPKI public key or X.509 certificate).
 * Symmetric keys are refused: the IAMs sign access tokens with asymmetric keys.
 */
export type VerifyKey = KeyObject | CryptoKey | JWK | JSONWebKeySet | string;

export interface AgentIdentity {
  /** The agent's identifier: its OAuth client id (Keycloak/Auth0 `azp`, Okta `cid`, EntraID `appid`/`azp`). */
  id: string;
  /** The OAuth client id; the same value as `id` for the four supported vendors. */
  clientId: string;
  /** The access token's `sub` (Keycloak: the service-account user id; Auth0: `<client>@clients`). */
  subject?: string;
  /** Keycloak `realm_access.roles`, Auth0 `permissions`, Okta `scp`, EntraID `roles`. */
  roles: string[];
  /** Granted scopes: `scope` (space separated) or `scp` (array or space separated). */
  scopes: string[];
}

export interface HumanIdentity {
  /** `act.sub`: the IAM's identifier of the human the agent acts for. */
  id: string;
  email?: string;
  name?: string;
  /** EntraID object id, when the act carries it. */
  oid?: string;
}

export interface DualSubjectIdentity {
  agent: AgentIdentity;
  human: HumanIdentity;
  /** The verified access-token claims. */
  claims: JWTPayload;
  /** EntraID: the verified X-Act-Assertion claims. */
  actAssertionClaims?: JWTPayload;
}

export type AuthorizeCallback = (
  agent: AgentIdentity,
  human: HumanIdentity,
  request?: unknown,
) => boolean | Promise<boolean>;

export interface VerifyOptions {
  vendor: Vendor;
  /** Expected `iss`; one of several when an array. */
  issuer: string | string[];
  /** Expected `aud`: the token must name at least one. */
  audience: string | string[];
  /**
   * The IAM's JWKS (HTTPS). Cached; a token with an unknown `kid` triggers one
   * refetch once the cooldown has passed. Default: the vendor's well-known JWKS
   * path under `issuer` (when `issuer` is a single string and no `key` is given).
   */
  jwksUri?: string;
  /** Or a given key / key set instead of a remote JWKS. */
  key?: VerifyKey;
  /** Private CA(s) trusted for the JWKS fetch (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Allowed JWS algorithms; default: the asymmetric ones. `none` and HS* are refused. */
  algorithms?: string[];
  /** Leeway for exp / nbf / iat, in seconds; default 30. */
  clockToleranceSeconds?: number;
  /** JWKS fetch timeout in ms; default 5000. */
  jwksTimeoutMs?: number;
  /** Minimum time between two JWKS fetches caused by unknown `kid`s, in ms; default 30000. */
  jwksCooldownMs?: number;
  /** Maximum age of the cached JWKS before a refetch, in ms; default 600000. */
  jwksCacheMaxAgeMs?: number;

  // EntraID hybrid: the X-Act-Assertion
  /** The app's RSA public key that signs the act assertion: PEM text, KeyObject or CryptoKey. */
  actAssertionKey?: KeyObject | CryptoKey | string;
  /** The act assertion's expected `aud`; default: `audience` (the reference uses API_AUDIENCE for both). */
  actAssertionAudience?: string;
  /** Expected `iss` of the act assertion (the reference sets it to APP_ID); not checked when absent. */
  actAssertionIssuer?: string | string[];
  /** Maximum assertion lifetime and age, in seconds; default 300 (the reference's exp - iat). */
  actAssertionMaxAgeSeconds?: number;
  /**
   * Off by default (reference-compatible). When on, the assertion must carry
   * `ath` = base64url(SHA-256(access token)) matching the token it came with.
   */
  bindAgentToken?: boolean;

  /**
   * The claim that carries the human (default 'act'). Auth0 refuses to let an Action set
   * `act`, so an Auth0 API reads a namespaced claim, e.g. 'https://api.example.com/act'.
   */
  actClaim?: string;

  /** The agent must hold every one of these roles. */
  requiredRoles?: string[];
  /** The token must grant every one of these scopes. */
  requiredScopes?: string[];
  /** The combined agent-human decision; false (or a throw) means 403. */
  authorize?: AuthorizeCallback;

  /** Aborts JWKS fetches and pending verifications (e.g. on shutdown). */
  signal?: AbortSignal;
  logger?: LoggerLike;
}

export interface VerifyCallOptions {
  /** EntraID: the `X-Act-Assertion` header value. */
  actAssertion?: string | undefined;
  /** Passed to `authorize` as its third argument. */
  request?: unknown;
  /** Aborts this verification. */
  signal?: AbortSignal | undefined;
}

export type DualSubjectVerifier = (token: string | undefined | null, call?: VerifyCallOptions) => Promise<DualSubjectIdentity>;
