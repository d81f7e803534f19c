/**
 * dual-auth: dual-subject tokens for AI agents acting for a human
 * (`sub`/client = the agent, `act` = the human). The one public entry.
 */
export { VERSION } from './version.js';

// Errors
export { DualAuthError, ConfigurationError, SecretsBackendError, TokenRequestError, ActVerificationError, KeyLoadError, type DualAuthErrorCode } from './errors.js';

// Configuration and secrets
export { getConfig, getVendor, getSecretsBackendType, VENDORS, type GetConfigOptions } from './config/index.js';
export type { Vendor, DualAuthConfig, KeycloakConfig, Auth0Config, OktaConfig, EntraIDConfig, EntraIDAgentConfig, DelegatedAgentConfig } from './config/index.js';
export { EnvironmentSecretsBackend, createSecretsBackend, type SecretsBackend, type SecretsBackendOptions, type SecretsBackendType } from './secrets/index.js';

// Adapters
export {
  BaseAdapter,
  TokenResponse,
  validateAdapterConfig,
  KeycloakAdapter,
  Auth0Adapter,
  OktaAdapter,
  EntraIDAdapter,
  createAdapter,
  CLIENT_ASSERTION_TYPE,
  DELEGATIONS,
  TOKEN_EXCHANGE_GRANT_TYPE,
  ACCESS_TOKEN_TYPE,
} from './adapters/index.js';
export type {
  AdapterOptions,
  AssertionAdapterOptions,
  OktaAdapterOptions,
  EntraIDAdapterOptions,
  CreateAdapterOptions,
  TokenRequestParams,
  TokenResponseInit,
  AdapterConfigInput,
  PrivateKeyJwtOptions,
  Delegation,
} from './adapters/index.js';

// Human identity and token requests
export {
  UserSession,
  HybridSender,
  InSessionTokenRequest,
  OutOfSessionTokenRequest,
  MemoryReplayCache,
  TokenCache,
  tokenCacheKey,
} from './session/index.js';
export type {
  Act,
  ActAssertionParams,
  AppSigningAlgorithm,
  UserSessionInit,
  HybridSenderOptions,
  OutOfSessionActParams,
  SessionLike,
  OutOfSessionTokenRequestOptions,
  VerifyActJwtParams,
  ReplayCache,
  MemoryReplayCacheOptions,
  TokenCacheOptions,
  TokenCacheOption,
  TokenStore,
  TokenRequestHandlerOptions,
} from './session/index.js';

// API calls
export { InSessionAPICall, OutOfSessionAPICall, type ApiCallOptions, type CallApiParams } from './api/index.js';

// The API side: verifying dual-subject tokens
export { verifyDualSubjectToken, createDualSubjectVerifier, computeAth, httpStatusFor } from './verify/index.js';
export type {
  AgentIdentity,
  AuthorizeCallback,
  DualSubjectIdentity,
  DualSubjectVerifier,
  HumanIdentity,
  TokenLayout,
  VerifyCallOptions,
  VerifyKey,
  VerifyOptions,
} from './verify/index.js';

// HTTP layer (for JWKS fetches and custom clients that trust a private CA)
export { HttpClient, createFetch, HttpError, RETRY_POLICIES, DEFAULT_RETRY_BUDGET, type HttpClientOptions, type CaOption, type RetryPolicy, type RetryPolicyName, type RetryBudgetOptions } from './http/index.js';
export { silentLogger, type Logger, type LoggerLike } from './logging.js';
export { humanIdForLogging } from './domain/act.js';
// Tracing (docs/observability.md): the person's id as spans carry it.
export { configureTracing, pseudonymousPersonId, type TracingOptions } from './telemetry/index.js';
