import type { SecretsBackendType } from '../secrets/backend.js';

type Env = Readonly<Record<string, string | undefined>>;

/** DUAL_AUTH_VENDOR from the environment, lower-cased and trimmed; default 'keycloak'. Not validated (as in Python). */
export function getVendor(env: Env = process.env): string {
  return (env.DUAL_AUTH_VENDOR ?? 'keycloak').toLowerCase().trim();
}

/** DUAL_AUTH_SECRETS_BACKEND from the environment, lower-cased and trimmed; default 'env'. */
export function getSecretsBackendType(env: Env = process.env): SecretsBackendType | (string & {}) {
  return (env.DUAL_AUTH_SECRETS_BACKEND ?? 'env').toLowerCase().trim();
}
