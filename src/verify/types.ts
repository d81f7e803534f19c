/** The public types of the resource-server side. */
import type { JWTPayload } from 'jose';
import type { JwksCacheOptions, VerifyKey } from '../jwt/key-sources.js';
import type { LoggerLike } from '../logging.js';
import type { ReplayCache } from '../domain/replay-cache.js';

export type Vendor = 'keycloak' | 'auth0' | 'okta' | 'entraid';

/**
 * Where a token carries the person (docs/delegation.md):
 * - 'act': the reference layout: `sub`/client = the agent, `act.sub` = the person (Entra ID: the
 *   `X-Act-Assertion` the agent sends). The agent vouches for the person.
 * - 'delegated': RFC 8693 §4.1: `sub` = the person, the client claim (azp, client_id, cid, appid) = the
 *   agent; token exchange / On-Behalf-Of. The IAM vouches, from the person's own token.
 * - 'assertion': the agent's own (client-credentials) token plus an `X-Act-Assertion` signed by the
 *   application that names the agent (`azp`). The application vouches.
 */
export type TokenLayout = 'act' | 'delegated' | 'assertion';

export type { VerifyKey };

export interface AgentIdentity {
  /** The agent's identifier: its OAuth client id (Keycloak/Auth0 `azp`, Okta `cid`, EntraID `appid`/`azp`). */
  id: string;
  /** The OAuth client id; the same value as `id` for the four supported vendors. */
  clientId: string;
  /** The access token's `sub` when it names the agent (Keycloak: the service-account user id; Auth0: `<client>@clients`); absent in the delegated layout, where `sub` is the person. */
  subject?: string;
  /** Keycloak `realm_access.roles`, Auth0 `permissions`, Okta `scp`, EntraID `roles`. */
  roles: string[];
  /** Granted scopes: `scope` (space separated) or `scp` (array or space separated). */
  scopes: string[];
}

export interface HumanIdentity {
  /** The IAM's identifier of the human the agent acts for: `act.sub` (layouts 'act' and 'assertion') or the token's `sub` ('delegated'; Entra ID: `oid`, as its `sub` is pairwise per application). */
  id: string;
  email?: string;
  name?: string;
  /** Entra ID object id, when the act or the delegated token carries it. */
  oid?: string;
}

export interface DualSubjectIdentity {
  agent: AgentIdentity;
  human: HumanIdentity;
  /** The layout the token was read in, and so who vouched for the person (see `TokenLayout`). */
  layout: TokenLayout;
  /** The verified access-token claims. */
  claims: JWTPayload;
  /** The verified X-Act-Assertion claims (EntraID, and the 'assertion' layout). */
  actAssertionClaims?: JWTPayload;
}

export type AuthorizeCallback = (
  agent: AgentIdentity,
  human: HumanIdentity,
  request?: unknown,
) => boolean | Promise<boolean>;

/** The JWKS options (`jwksTimeoutMs`, `jwksCooldownMs`, `jwksCacheMaxAgeMs`, `jwksMaxStaleMs`) are those of JwksCacheOptions. */
export interface VerifyOptions extends JwksCacheOptions {
  /**
   * The IAM that issues the tokens: where its tokens carry the agent, roles and scopes, its default
   * JWKS path, and how its agent-only tokens look. Required; no default.
   */
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
  /** Leeway for exp, nbf and iat (a finite number >= 0). Default is 30 (seconds). */
  clockToleranceSeconds?: number;

  /**
   * The layout(s) this API accepts; with several, each token is read in the layout its claims show
   * (an `act` naming the token's own client is RFC 8693 delegation, another `act` is the reference's, an
   * `X-Act-Assertion` on a call is the 'assertion' layout). Default is 'act', the reference layout.
   */
  layout?: TokenLayout | readonly TokenLayout[];
  /**
   * The agents (OAuth client ids) this API accepts, in every layout; any other client is refused
   * (ERR_TOKEN_AGENT_NOT_ALLOWED). Required for the 'delegated' layout on okta and entraid, whose
   * On-Behalf-Of tokens carry no `act`: without the list, a person's own login token could not be told
   * from an agent's. On keycloak and auth0 'delegated' requires `act.sub` = the client with or without
   * the list. Default is none (any client).
   */
  agents?: readonly string[];

  // The X-Act-Assertion: EntraID hybrid (the reference) and the 'assertion' layout
  /**
   * The application's public key that signs the act assertion: PEM text, KeyObject, CryptoKey, JWK or
   * JWK Set (e.g. `await sender.publicJwks()`). Required for EntraID and the 'assertion' layout, unless
   * `actAssertionJwksUri` is given.
   */
  actAssertionKey?: VerifyKey;
  /**
   * Or the HTTPS URL where the application publishes its JWK Set: keys picked by `kid`, refetched on an
   * unknown `kid` (rotation), cached as `jwksUri` is (same `ca`, timeout, cooldown and maximum age).
   * Default is none.
   */
  actAssertionJwksUri?: string;
  /**
   * Algorithms the application may sign with. Default is the one of the given key (RSA: RS256,
   * EC P-256: ES256, Ed25519: EdDSA), or RS256, ES256 and EdDSA for a key set. `none` and HS* are refused.
   */
  actAssertionAlgorithms?: string[];
  /** The act assertion's expected `aud`; default: `audience` (the reference uses API_AUDIENCE for both). */
  actAssertionAudience?: string;
  /** Expected `iss` of the act assertion (the reference sets it to APP_ID); not checked when absent. */
  actAssertionIssuer?: string | string[];
  /** Maximum assertion lifetime and age. Default is 300 (seconds), the reference's exp - iat. */
  actAssertionMaxAgeSeconds?: number;
  /**
   * One call per assertion: each assertion's `jti` is recorded here until it expires and a second use
   * is refused (ERR_ACT_ASSERTION_REPLAY). Default is none (off): within its lifetime an agent may call
   * the API several times with one assertion. Share one store between replicas (e.g. `RedisReplayCache`).
   */
  actAssertionReplayCache?: ReplayCache;
  /**
   * Prefix of this API's keys in `actAssertionReplayCache`, so that the agent's own replay records (it
   * checks the same `jti` when it receives the assertion) and other APIs' never collide with this API's.
   * Default is `dual-auth:api:<actAssertionAudience>:`.
   */
  actAssertionReplayPrefix?: string;
  /**
   * When on, the assertion must carry `ath` = base64url(SHA-256(access token)) matching the token
   * it came with. Only for an assertion signed inside the agent (EntraID's 'act' layout): with the
   * 'assertion' layout it is refused (ERR_CONFIGURATION), the application signs before the token
   * exists. Default is false (reference-compatible).
   */
  bindAgentToken?: boolean;

  /**
   * The claim that carries the human in the reference layout ('act'). Auth0 refuses to let an Action
   * set `act`, so an Auth0 API reads a namespaced claim, e.g. 'https://api.example.com/act'. The
   * 'delegated' layout always reads the standard `act`, which the IAM writes on token exchange.
   * Default is 'act'.
   */
  actClaim?: string;

  /** The agent must hold every one of these roles. */
  requiredRoles?: string[];
  /** The token must grant every one of these scopes. */
  requiredScopes?: string[];
  /** The combined agent-human decision; false (or a throw) means 403. */
  authorize?: AuthorizeCallback;

  /** Aborts JWKS fetches and pending verifications (e.g. on shutdown). Default is none. */
  signal?: AbortSignal;
  /** Where failed verifications are logged (event and error code only, never a token). Default is none (silent). */
  logger?: LoggerLike;
}

export interface VerifyCallOptions {
  /** The `X-Act-Assertion` header value (EntraID, the 'assertion' layout). */
  actAssertion?: string | undefined;
  /** Passed to `authorize` as its third argument. */
  request?: unknown;
  /** Aborts this verification. */
  signal?: AbortSignal | undefined;
}

export interface DualSubjectVerifier {
  (token: string | undefined | null, call?: VerifyCallOptions): Promise<DualSubjectIdentity>;
  /** True when this verifier reads the `X-Act-Assertion` header (EntraID, the 'assertion' layout): pass it as `actAssertion`. */
  readonly readsActAssertion: boolean;
}
