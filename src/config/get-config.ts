/**
 * getConfig: the vendor configuration from the chosen secrets backend, with the
 * Python package's precedence rules and error texts. The keys of one config are
 * read in parallel, each once; errors are reported in the Python order.
 */
import { ConfigurationError, SecretsBackendError, errorClassName } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import type { SecretsBackend } from '../secrets/backend.js';
import { createSecretsBackend } from '../secrets/factory.js';
import { getSecretsBackendType } from './environment.js';
import { VENDORS, type DualAuthConfig, type Vendor } from './types.js';
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
}

/** Keys read per vendor, in the Python order (the first missing one is the one reported). */
const KEYS: Record<Vendor, readonly string[]> = {
  keycloak: ['KEYCLOAK_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET'],
  auth0: ['AUTH0_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_AUDIENCE'],
  okta: ['OKTA_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_AUDIENCE'],
  entraid: ['APP_PRIVATE_KEY_PATH', 'API_SCOPE', 'ENTRAID_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'APP_ID', 'API_AUDIENCE'],
};

export async function getConfig(options: GetConfigOptions = {}): Promise<DualAuthConfig> {
  const env = options.env ?? process.env;
  const logger = toLogger(options.logger);
  const backend = options.backend ?? (await createSecretsBackend(options.secretsBackend ?? getSecretsBackendType(env), env));
  try {
    const vendor = await resolveVendor(options.vendor, backend, env, options.signal);
    const take = await readAll(backend, KEYS[vendor], options.signal);
    const config = buildConfig(vendor, take, logger);
    validateHttpsUrl(config.tokenUrl, 'token_url');
    validateUrlFormat(config.tokenUrl, 'token_url', logger);
    logger.info({ event: 'config_loaded', vendor, backend: backend.name }, 'Configuration loaded successfully');
    return redactOnPrint(config);
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof SecretsBackendError) throw error;
    logger.error({ event: 'config_error', error_type: errorClassName(error) }, 'Unexpected error loading configuration');
    throw new ConfigurationError(`Unexpected error: ${errorClassName(error)}`, 'ERR_CONFIGURATION', { cause: error });
  } finally {
    if (!options.backend) await backend.close?.();
  }
}

async function resolveVendor(given: string | undefined, backend: SecretsBackend, env: GetConfigOptions['env'] & object, signal?: AbortSignal): Promise<Vendor> {
  let vendor = given;
  if (vendor === undefined) {
    try {
      vendor = await backend.getSecret('DUAL_AUTH_VENDOR', { required: false, signal });
    } catch (error) {
      // As in Python: a backend that cannot read the vendor falls back to the environment.
      if (!(error instanceof SecretsBackendError)) throw error;
      vendor = undefined;
    }
    if (!vendor) vendor = env.DUAL_AUTH_VENDOR ?? 'keycloak';
  }
  const normalised = vendor.toLowerCase().trim();
  if (!(VENDORS as readonly string[]).includes(normalised)) {
    throw new ConfigurationError(`Invalid vendor: '${normalised}'. Must be one of: ${VENDORS.join(', ')}`);
  }
  return normalised as Vendor;
}

type Take = (key: string) => string;

/** Reads every key at once; `take(key)` then yields a value or throws that key's error, so errors come in the Python order. */
async function readAll(backend: SecretsBackend, keys: readonly string[], signal?: AbortSignal): Promise<Take> {
  const settled = await Promise.allSettled(keys.map((key) => backend.getSecret(key, { required: true, signal })));
  const results = new Map(keys.map((key, index) => [key, settled[index] as PromiseSettledResult<string | undefined>]));
  return (key) => {
    const result = results.get(key);
    if (result?.status === 'rejected') throw result.reason;
    if (result?.value === undefined) {
      throw new SecretsBackendError(`Secret '${key}' is required but was not found`, backend.name, { code: 'ERR_SECRET_MISSING' });
    }
    return result.value;
  };
}

function buildConfig(vendor: Vendor, take: Take, logger: Logger): DualAuthConfig {
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
      const appPrivateKeyPath = take('APP_PRIVATE_KEY_PATH');
      validateFileExists(appPrivateKeyPath, 'APP_PRIVATE_KEY_PATH', logger);
      const scope = take('API_SCOPE');
      if (!scope.endsWith('/.default')) {
        logger.warn({ event: 'config_scope_not_default', field: 'API_SCOPE' }, "API_SCOPE for EntraID typically ends with '/.default'");
      }
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

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Printing or serialising a config never shows the client secret; the field itself stays readable. */
export function redactOnPrint<T extends { clientSecret: string }>(config: T): T {
  const redacted = (): Record<string, unknown> => ({ ...config, clientSecret: '***REDACTED***' });
  Object.defineProperty(config, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(config, inspectSymbol, { value: redacted, enumerable: false });
  return config;
}
