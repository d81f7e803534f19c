import { ConfigurationError, SecretsBackendError } from '../errors.js';
import type { LoggerLike } from '../logging.js';
import type { SecretsBackend, SecretsBackendType } from './backend.js';
import { EnvironmentSecretsBackend } from './env.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface SecretsBackendOptions {
  /**
   * pino-compatible logger for the backend's warnings (a plain-HTTP endpoint on a loopback
   * address); never receives a secret. Default is silent.
   */
  logger?: LoggerLike;
}

const ALIASES: Record<string, SecretsBackendType> = {
  env: 'env',
  environment: 'env',
  aws: 'aws',
  gcp: 'gcp',
  azure: 'azure',
  vault: 'vault',
  hashicorp: 'vault',
};

/** Normalises a backend name (aliases as in Python) or throws the Python ConfigurationError. */
export function resolveSecretsBackendType(name: string): SecretsBackendType {
  const normalised = name.toLowerCase().trim();
  const type = ALIASES[normalised];
  if (!type) {
    throw new ConfigurationError(`Invalid secrets backend: '${normalised}'. Must be one of: env, aws, gcp, azure, vault`);
  }
  return type;
}

/** The environment backend when `type` names it (no import, no promise), else undefined. */
export function environmentBackendFor(type: string, env: Env = process.env): EnvironmentSecretsBackend | undefined {
  return resolveSecretsBackendType(type) === 'env' ? new EnvironmentSecretsBackend(env) : undefined;
}

/**
 * Creates a secrets backend. Cloud backends are loaded on demand, so their SDKs
 * (optional peer dependencies) load only when chosen.
 */
export async function createSecretsBackend(type: string, env: Env = process.env, options: SecretsBackendOptions = {}): Promise<SecretsBackend> {
  const resolved = resolveSecretsBackendType(type);
  const shared = options.logger === undefined ? {} : { logger: options.logger };
  try {
    switch (resolved) {
      case 'env':
        return new EnvironmentSecretsBackend(env);
      case 'aws':
        return await (await import('./aws.js')).createAwsBackend(env, shared);
      case 'gcp':
        return await (await import('./gcp.js')).createGcpBackend(env, shared);
      case 'azure':
        return await (await import('./azure.js')).createAzureBackend(env, shared);
      case 'vault':
        return await (await import('./vault.js')).createVaultBackend(env, shared);
    }
  } catch (error) {
    if (error instanceof SecretsBackendError || error instanceof ConfigurationError) throw error;
    throw new SecretsBackendError(`Failed to initialize ${resolved} secrets backend: ${(error as Error)?.name ?? 'Error'}`, resolved, { cause: error });
  }
}
