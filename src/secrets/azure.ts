/**
 * Azure Key Vault backend (Python `AzureSecretsBackend`), on the official
 * @azure/keyvault-secrets + @azure/identity (DefaultAzureCredential), optional
 * peer dependencies loaded here only.
 *
 * Secret = DUAL_AUTH_AZURE_SECRET_PREFIX (default `dual-auth-`) + key lower-cased
 * with `_` -> `-`, in the vault DUAL_AUTH_AZURE_VAULT_URL (required, HTTPS, also on loopback:
 * the Azure SDK refuses to send its bearer token over plain HTTP).
 * DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true is for a vault
 * whose host is not under the token's resource domain (a local emulator, some
 * private deployments); the Azure SDK documents the same switch.
 */
import type * as AzureIdentity from '@azure/identity';
import type * as AzureSecrets from '@azure/keyvault-secrets';
import { SecretsBackendError, errorClassName } from '../errors.js';
import { endpointKind } from '../http/loopback.js';
import { toLogger, type LoggerLike } from '../logging.js';
import type { SecretsBackend } from './backend.js';
import { checkEndpoint } from './endpoint.js';
import { envFlag, envTrimmed, envValue, prefixedSecretName } from './names.js';
import { importOptional } from './optional-import.js';
import { agentWithCa } from './tls.js';
import { DEFAULT_SECRETS_TIMEOUT_MS, abortedError, finishValue, isAbort } from './value.js';

type Env = Readonly<Record<string, string | undefined>>;

const BACKEND = 'azure';
const PACKAGES = ['@azure/identity', '@azure/keyvault-secrets'] as const;
const AUTH_ERRORS = new Set(['AuthenticationError', 'CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

export interface AzureBackendOptions {
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Extra CA certificate(s) (PEM) for the vault connection; NODE_EXTRA_CA_CERTS works too. */
  ca?: string | string[];
  /** A credential of your own instead of DefaultAzureCredential. */
  credential?: ConstructorParameters<typeof AzureSecrets.SecretClient>[1];
  /** pino-compatible logger. Default is silent. */
  logger?: LoggerLike;
}

export async function createAzureBackend(env: Env, options: AzureBackendOptions = {}): Promise<SecretsBackend> {
  const secrets = await importOptional<typeof AzureSecrets>('@azure/keyvault-secrets', BACKEND, 'Azure Key Vault backend', PACKAGES);
  const vaultUrl = envTrimmed(env, 'DUAL_AUTH_AZURE_VAULT_URL');
  const prefix = envValue(env, 'DUAL_AUTH_AZURE_SECRET_PREFIX', 'dual-auth-');
  const timeoutMs = options.timeoutMs ?? DEFAULT_SECRETS_TIMEOUT_MS;
  if (!vaultUrl) {
    throw new SecretsBackendError('DUAL_AUTH_AZURE_VAULT_URL environment variable is required for Azure backend.', BACKEND, { code: 'ERR_CONFIGURATION' });
  }
  // The Azure SDK sends its bearer token over HTTPS only, loopback included ("Bearer token
  // authentication is not permitted for non-TLS protected (non-https) URLs"), so the loopback
  // exception of the other backends cannot apply here; Key Vault emulators serve HTTPS.
  if (endpointKind(vaultUrl) === 'loopback-http') {
    throw new SecretsBackendError(
      'DUAL_AUTH_AZURE_VAULT_URL must use HTTPS, also on a loopback address: the Azure SDK sends its bearer token over HTTPS only.',
      BACKEND,
      { code: 'ERR_INSECURE_URL', hint: 'Serve the emulator over HTTPS and trust its CA with NODE_EXTRA_CA_CERTS.' },
    );
  }
  checkEndpoint(vaultUrl, 'DUAL_AUTH_AZURE_VAULT_URL', BACKEND, 'https://my-vault.vault.azure.net', toLogger(options.logger));

  let client: AzureSecrets.SecretClient;
  try {
    const credential =
      options.credential ?? new (await importOptional<typeof AzureIdentity>('@azure/identity', BACKEND, 'Azure Key Vault backend', PACKAGES)).DefaultAzureCredential();
    client = new secrets.SecretClient(vaultUrl, credential, {
      disableChallengeResourceVerification: envFlag(env, 'DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION'),
      retryOptions: { maxRetries: 2 },
      ...(options.ca ? { agent: agentWithCa(options.ca) } : {}),
    });
  } catch (error) {
    if (error instanceof SecretsBackendError) throw error;
    throw new SecretsBackendError(`Failed to initialize Azure Key Vault client: ${errorClassName(error)}`, BACKEND, { cause: error });
  }

  return {
    name: BACKEND,
    async getSecret(key, { required = true, signal } = {}) {
      const secretName = prefixedSecretName(prefix, key);
      const notFoundMessage = `Azure Key Vault secret '${secretName}' not found.`;
      const abortSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      let value: string | undefined;
      try {
        value = (await client.getSecret(secretName, { abortSignal, requestOptions: { timeout: timeoutMs } })).value;
      } catch (error) {
        const status = (error as { statusCode?: unknown })?.statusCode;
        if (status === 404) {
          if (!required) return undefined;
          throw new SecretsBackendError(notFoundMessage, BACKEND, { cause: error, code: 'ERR_SECRET_MISSING' });
        }
        if (status === 401 || AUTH_ERRORS.has(errorClassName(error))) {
          throw new SecretsBackendError(`Azure authentication failed accessing secret '${secretName}'.`, BACKEND, { cause: error });
        }
        if (status === 403) {
          throw new SecretsBackendError(`Azure Key Vault error: access to secret '${secretName}' is forbidden.`, BACKEND, { cause: error });
        }
        if (signal?.aborted) throw abortedError(BACKEND, error);
        if (isAbort(error)) {
          throw new SecretsBackendError(`Azure Key Vault error: timed out after ${timeoutMs} ms`, BACKEND, { cause: error, code: 'ERR_TIMEOUT' });
        }
        if (/challenge resource/i.test(String((error as Error)?.message))) {
          throw new SecretsBackendError(
            "Azure Key Vault error: the vault's authentication challenge names a resource outside the vault URL's domain (see DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION).",
            BACKEND,
            { cause: error },
          );
        }
        const code = (error as { code?: unknown })?.code;
        throw new SecretsBackendError(
          `Azure Key Vault error: ${typeof status === 'number' ? `HTTP ${status}` : typeof code === 'string' ? code : errorClassName(error)}`,
          BACKEND,
          { cause: error, code: typeof status === 'number' ? 'ERR_SECRETS_BACKEND' : 'ERR_NETWORK' },
        );
      }
      return finishValue(value, { required, backend: BACKEND, notFoundMessage });
    },
  };
}
