/**
 * getConfig: the vendor configuration from the chosen secrets backend, with the
 * Python package's precedence rules and error texts. The keys of one config are
 * read in parallel, each once; errors are reported in the Python order.
 */
import { inspect } from 'node:util';
import { parseDelegation, type Delegation } from '../domain/delegation.js';
import { CLIENT_SECRET, REDACTED, RedactedSecret } from '../domain/redaction.js';
import { ConfigurationError, SecretsBackendError, errorClassName } from '../errors.js';
import { silentLogger, toLogger, type Logger, type LoggerLike } from '../logging.js';
import type { SecretsBackend } from '../secrets/backend.js';
import { createSecretsBackend, environmentBackendFor } from '../secrets/factory.js';
import { getSecretsBackendType } from './environment.js';
import { SPANS, traced } from '../telemetry/index.js';
import { VENDORS, type DelegatedAgentConfig, type DualAuthConfig, type Vendor } from './types.js';
import { validateFileExists, validateHttpsUrl, validateUrlFormat } from './validate.js';

export interface GetConfigOptions {
  /** Overrides DUAL_AUTH_VENDOR. */
  vendor?: string;
  /** Overrides DUAL_AUTH_SECRETS_BACKEND: 'env' | 'aws' | 'gcp' | 'azure' | 'vault' (aliases 'environment', 'hashicorp'). */
  secretsBackend?: string;
  /** A backend instance of your own; wins over `secretsBackend`. */
  backend?: SecretsBackend;
  /** Environment to read instead of process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: LoggerLike;
  signal?: AbortSignal;
  /**
   * The delegation the agent will use (the adapter's `delegation` option). With 'token-exchange'
   * or 'assertion' an EntraID agent signs no act assertion, so APP_PRIVATE_KEY_PATH, APP_ID and
   * API_AUDIENCE are not read: the agent holds no application key. Default is 'act' (the reference).
   */
  delegation?: Delegation;
}

const REQUIRED = { required: true } as const;
const OPTIONAL = { required: false } as const;

/** Keys read per vendor, in the Python order (the first missing one is the one reported). */
const KEYS: Record<Vendor, readonly string[]> = {
  keycloak: ['KEYCLOAK_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET'],
  auth0: ['AUTH0_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_AUDIENCE'],
  okta: ['OKTA_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_AUDIENCE'],
  entraid: ['APP_PRIVATE_KEY_PATH', 'API_SCOPE', 'ENTRAID_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'APP_ID', 'API_AUDIENCE'],
};
/** EntraID keys of an agent that signs no act assertion (delegation 'token-exchange' or 'assertion'). */
const ENTRAID_AGENT_KEYS: readonly string[] = ['API_SCOPE', 'ENTRAID_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET'];

export async function getConfig(options?: GetConfigOptions & { delegation?: 'act' }): Promise<DualAuthConfig>;
export async function getConfig(options: GetConfigOptions & { delegation: 'token-exchange' | 'assertion' }): Promise<DelegatedAgentConfig>;
export async function getConfig(options: GetConfigOptions): Promise<DualAuthConfig | DelegatedAgentConfig>;
export async function getConfig(options: GetConfigOptions = {}): Promise<DualAuthConfig | DelegatedAgentConfig> {
  const delegation = parseDelegation(options.delegation);
  const env = options.env ?? process.env;
  const logger = toLogger(options.logger);
  const type = options.secretsBackend ?? getSecretsBackendType(env);
  const backend: SecretsBackend = options.backend ?? environmentBackendFor(type, env) ?? (await createSecretsBackend(type, env, { logger }));
  try {
    // A synchronous backend (the environment) is read without a promise per key: config loading is on hot paths.
    const sync = backend.getSecretSync?.bind(backend);
    let vendor: Vendor;
    let take: Take;
    if (sync) {
      vendor = pickVendor(options.vendor, () => sync('DUAL_AUTH_VENDOR', OPTIONAL), env);
      take = (key) => sync(key, REQUIRED) ?? missing(key, backend.name);
    } else {
      vendor = pickVendor(options.vendor, await settle(() => fetchSecret(backend, 'DUAL_AUTH_VENDOR', false, options.signal)), env);
      take = await readAll(backend, vendor === 'entraid' && delegation !== 'act' ? ENTRAID_AGENT_KEYS : KEYS[vendor], options.signal);
    }
    const config = buildConfig(vendor, take, logger, delegation);
    validateHttpsUrl(config.tokenUrl, 'token_url');
    validateUrlFormat(config.tokenUrl, 'token_url', logger);
    if (logger !== silentLogger) logger.info({ event: 'config_loaded', vendor, backend: backend.name }, 'Configuration loaded successfully');
    return redactOnPrint(config);
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof SecretsBackendError) throw error;
    logger.error({ event: 'config_error', error_type: errorClassName(error) }, 'Unexpected error loading configuration');
    throw new ConfigurationError(`Unexpected error: ${errorClassName(error)}`, 'ERR_CONFIGURATION', { cause: error });
  } finally {
    // Only a backend we made is closed; the environment has nothing to close (and no await then).
    if (!options.backend && backend.close) await backend.close();
  }
}

/** Runs `read` now; its value, or its SecretsBackendError, for pickVendor to judge. */
async function settle(read: () => Promise<string | undefined>): Promise<() => string | undefined> {
  try {
    const value = await read();
    return () => value;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/**
 * The vendor: the argument, else DUAL_AUTH_VENDOR from the backend (a backend that
 * cannot read it falls back, as in Python), else the environment, else keycloak.
 */
function pickVendor(given: string | undefined, fromBackend: () => string | undefined, env: Readonly<Record<string, string | undefined>>): Vendor {
  let vendor = given;
  if (vendor === undefined) {
    try {
      vendor = fromBackend();
    } catch (error) {
      if (!(error instanceof SecretsBackendError)) throw error;
    }
    if (!vendor) vendor = env.DUAL_AUTH_VENDOR ?? 'keycloak';
  }
  const normalised = vendor.toLowerCase().trim();
  if (!(VENDORS as readonly string[]).includes(normalised)) {
    throw new ConfigurationError(`Invalid vendor: '${normalised}'. Must be one of: ${VENDORS.join(', ')}`);
  }
  return normalised as Vendor;
}

/** One read from an asynchronous backend, in a `dual_auth.secrets.fetch` span when tracing is on: the backend and the secret's name, never its value. */
function fetchSecret(backend: SecretsBackend, key: string, required: boolean, signal: AbortSignal | undefined): Promise<string | undefined> {
  return traced(SPANS.secretsFetch, { 'dual_auth.secrets.backend': backend.name, 'dual_auth.secret.name': key }, async (span) => {
    const value = await backend.getSecret(key, { required, signal });
    span?.set({ 'dual_auth.secret.found': value !== undefined });
    return value;
  });
}

function missing(key: string, backend: string): never {
  throw new SecretsBackendError(`Secret '${key}' is required but was not found`, backend, { code: 'ERR_SECRET_MISSING' });
}

type Take = (key: string) => string;

/** Reads every key at once; `take(key)` then yields a value or throws that key's error, so errors come in the Python order. */
async function readAll(backend: SecretsBackend, keys: readonly string[], signal?: AbortSignal): Promise<Take> {
  const settled = await Promise.allSettled(keys.map((key) => fetchSecret(backend, key, true, signal)));
  const results = new Map(keys.map((key, index) => [key, settled[index] as PromiseSettledResult<string | undefined>]));
  return (key) => {
    const result = results.get(key);
    if (result?.status === 'rejected') throw result.reason;
    return result?.value ?? missing(key, backend.name);
  };
}

function buildConfig(vendor: Vendor, take: Take, logger: Logger, delegation: Delegation): DualAuthConfig | DelegatedAgentConfig {
  switch (vendor) {
    case 'keycloak':
      return { vendor, tokenUrl: take('KEYCLOAK_TOKEN_URL'), clientId: take('AGENT_CLIENT_ID'), clientSecret: take('AGENT_CLIENT_SECRET'), audience: undefined };
    case 'auth0':
    case 'okta':
      return {
        vendor,
        tokenUrl: take(`${vendor.toUpperCase()}_TOKEN_URL`),
        clientId: take('AGENT_CLIENT_ID'),
        clientSecret: take('AGENT_CLIENT_SECRET'),
        audience: take('API_AUDIENCE'),
      };
    case 'entraid': {
      if (delegation !== 'act') {
        const scope = entraScope(take, logger);
        return { vendor, tokenUrl: take('ENTRAID_TOKEN_URL'), clientId: take('AGENT_CLIENT_ID'), clientSecret: take('AGENT_CLIENT_SECRET'), scope };
      }
      const appPrivateKeyPath = take('APP_PRIVATE_KEY_PATH');
      validateFileExists(appPrivateKeyPath, 'APP_PRIVATE_KEY_PATH', logger);
      const scope = entraScope(take, logger);
      return {
        vendor,
        tokenUrl: take('ENTRAID_TOKEN_URL'),
        clientId: take('AGENT_CLIENT_ID'),
        clientSecret: take('AGENT_CLIENT_SECRET'),
        scope,
        appPrivateKeyPath,
        appId: take('APP_ID'),
        actAudience: take('API_AUDIENCE'),
      };
    }
  }
}

function entraScope(take: Take, logger: Logger): string {
  const scope = take('API_SCOPE');
  if (!scope.endsWith('/.default')) {
    logger.warn({ event: 'config_scope_not_default', field: 'API_SCOPE' }, "API_SCOPE for EntraID typically ends with '/.default'");
  }
  return scope;
}

function redacted(this: Record<string, unknown>): Record<string, unknown> {
  return { ...Object.fromEntries(Object.entries(this)), clientSecret: REDACTED };
}

// One shared prototype: printing or serialising a config shows `clientSecret: '***REDACTED***'`.
const REDACTING: object = Object.create(Object.prototype, {
  toJSON: { value: redacted },
  [inspect.custom]: { value: redacted },
});

/**
 * The config as getConfig returns it. `clientSecret` stays readable but is not
 * enumerable, and the secret also travels boxed under an enumerable symbol key:
 * `{ ...config }` carries it to createAdapter, and no printing route shows it.
 */
export function redactOnPrint<T extends { clientSecret: string }>(config: T): T {
  const { clientSecret, ...visible } = config;
  const boxed = new RedactedSecret(clientSecret);
  const result = Object.assign(Object.create(REDACTING) as T, visible, { [CLIENT_SECRET]: boxed });
  Object.defineProperty(result, 'clientSecret', { get: () => boxed.reveal(), enumerable: false });
  return result;
}
