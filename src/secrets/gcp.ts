/**
 * GCP Secret Manager backend (Python `GCPSecretsBackend`), on the official
 * @google-cloud/secret-manager client, an optional peer dependency loaded here only.
 *
 * Secret = DUAL_AUTH_GCP_SECRET_PREFIX (default `dual-auth-`) + key lower-cased
 * with `_` -> `-`, version `latest`, in project DUAL_AUTH_GCP_PROJECT (required).
 * Credentials: Application Default Credentials, as the client library does.
 * DUAL_AUTH_GCP_ENDPOINT (host:port) points the client at another endpoint
 * (e.g. Private Service Connect), still over TLS with Google credentials.
 * DUAL_AUTH_GCP_PLAINTEXT=true is for a local emulator ONLY: plaintext gRPC and
 * no credentials, accepted only together with a loopback DUAL_AUTH_GCP_ENDPOINT.
 */
import type * as GcpSdk from '@google-cloud/secret-manager';
import { SecretsBackendError, errorClassName } from '../errors.js';
import { isLoopbackHost } from '../http/loopback.js';
import { toLogger, type LoggerLike } from '../logging.js';
import type { SecretsBackend } from './backend.js';
import { warnPlaintext } from './endpoint.js';
import { envFlag, envTrimmed, envValue, prefixedSecretName } from './names.js';
import { importOptional } from './optional-import.js';
import { DEFAULT_SECRETS_TIMEOUT_MS, finishValue, raceSignal } from './value.js';

type Env = Readonly<Record<string, string | undefined>>;

const BACKEND = 'gcp';
const PACKAGE = '@google-cloud/secret-manager';

/** gRPC status codes (google.rpc.Code). */
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
const STATUS_NAMES: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};

export interface GcpBackendOptions {
  /** Per-call timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** pino-compatible logger for warnings (plaintext gRPC to a loopback emulator). Default is silent. */
  logger?: LoggerLike;
}

export async function createGcpBackend(env: Env, options: GcpBackendOptions = {}): Promise<SecretsBackend> {
  const sdk = await importOptional<typeof GcpSdk>(PACKAGE, BACKEND, 'GCP Secret Manager backend');
  const project = envTrimmed(env, 'DUAL_AUTH_GCP_PROJECT');
  const prefix = envValue(env, 'DUAL_AUTH_GCP_SECRET_PREFIX', 'dual-auth-');
  const timeoutMs = options.timeoutMs ?? DEFAULT_SECRETS_TIMEOUT_MS;
  if (!project) {
    throw new SecretsBackendError('DUAL_AUTH_GCP_PROJECT environment variable is required for GCP backend.', BACKEND, { code: 'ERR_CONFIGURATION' });
  }

  const clientOptions: Record<string, unknown> = {};
  const endpoint = parseEndpoint(envTrimmed(env, 'DUAL_AUTH_GCP_ENDPOINT'));
  if (endpoint) {
    clientOptions.apiEndpoint = endpoint.host;
    clientOptions.port = endpoint.port;
  }
  if (envFlag(env, 'DUAL_AUTH_GCP_PLAINTEXT')) {
    if (!endpoint || !isLoopbackHost(endpoint.host)) {
      throw new SecretsBackendError(
        'DUAL_AUTH_GCP_PLAINTEXT is only for a local emulator: set DUAL_AUTH_GCP_ENDPOINT to a loopback host:port (127.0.0.1, localhost or [::1]).',
        BACKEND,
        { code: 'ERR_INSECURE_URL' },
      );
    }
    warnPlaintext('DUAL_AUTH_GCP_ENDPOINT', BACKEND, toLogger(options.logger));
    // Plaintext channel without Google credentials: what the Secret Manager emulators speak.
    clientOptions.sslCreds = (await grpcModule()).credentials.createInsecure();
    // A fixed universe domain, so the client never looks for credentials (nor probes the GCE metadata server).
    clientOptions.universeDomain = 'googleapis.com';
  }

  let client: GcpSdk.SecretManagerServiceClient;
  try {
    client = new sdk.SecretManagerServiceClient(clientOptions as ConstructorParameters<typeof sdk.SecretManagerServiceClient>[0]);
  } catch (error) {
    throw new SecretsBackendError(`Failed to initialize GCP Secret Manager client: ${errorClassName(error)}`, BACKEND, { cause: error });
  }

  return {
    name: BACKEND,
    async getSecret(key, { required = true, signal } = {}) {
      const secretName = prefixedSecretName(prefix, key);
      const path = `projects/${project}/secrets/${secretName}/versions/latest`;
      const notFoundMessage = `GCP secret '${secretName}' not found in project '${project}'.`;
      let data: Uint8Array | string | null | undefined;
      try {
        // google-gax returns a cancellable promise: an abort cancels the gRPC call itself.
        const call: Promise<[GcpSdk.protos.google.cloud.secretmanager.v1.IAccessSecretVersionResponse, ...unknown[]]> & { cancel?: () => void } =
          // `timeout` alone is the call's total deadline (gax drops it when maxRetries is set).
          client.accessSecretVersion({ name: path }, { timeout: timeoutMs });
        const [response] = await raceSignal(call, signal, BACKEND, () => call.cancel?.());
        data = response.payload?.data;
      } catch (error) {
        if (error instanceof SecretsBackendError) throw error;
        const code = grpcCode(error);
        if (code === NOT_FOUND) {
          if (!required) return undefined;
          throw new SecretsBackendError(notFoundMessage, BACKEND, { cause: error, code: 'ERR_SECRET_MISSING' });
        }
        if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) {
          throw new SecretsBackendError(`Permission denied accessing GCP secret '${secretName}'.`, BACKEND, { cause: error });
        }
        const errorCode = code === DEADLINE_EXCEEDED ? 'ERR_TIMEOUT' : code === UNAVAILABLE || code === undefined ? 'ERR_NETWORK' : 'ERR_SECRETS_BACKEND';
        throw new SecretsBackendError(`GCP Secret Manager error: ${code === undefined ? errorClassName(error) : STATUS_NAMES[code] ?? `code ${code}`}`, BACKEND, {
          cause: error,
          code: errorCode,
        });
      }
      const text = data === undefined || data === null ? undefined : typeof data === 'string' ? data : decodeUtf8(data, secretName);
      return finishValue(text, { required, backend: BACKEND, notFoundMessage });
    },
    async close() {
      await client.close();
    },
  };
}

/** The grpc module the client library itself uses (google-gax re-exports it). */
async function grpcModule(): Promise<{ credentials: { createInsecure(): unknown } }> {
  const gax = await importOptional<{ grpc?: { credentials: { createInsecure(): unknown } } }>('google-gax', BACKEND, 'GCP Secret Manager backend', [PACKAGE]);
  if (!gax.grpc) throw new SecretsBackendError('google-gax does not expose grpc', BACKEND, { code: 'ERR_BACKEND_UNAVAILABLE' });
  return gax.grpc;
}

function parseEndpoint(value: string | undefined): { host: string; port: number } | undefined {
  if (!value) return undefined;
  const match = /^(\[[^\]]+\]|[^:/\s]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) {
    throw new SecretsBackendError(`DUAL_AUTH_GCP_ENDPOINT must be host:port. Got: '${value}'`, BACKEND, { code: 'ERR_CONFIGURATION' });
  }
  const host = match[1] as string;
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: match[2] ? Number(match[2]) : 443 };
}

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function decodeUtf8(data: Uint8Array, secretName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (error) {
    throw new SecretsBackendError(`GCP secret '${secretName}' is not UTF-8 text.`, BACKEND, { cause: error });
  }
}
