/**
 * AWS Secrets Manager backend (Python `AWSSecretsBackend`), on the official
 * @aws-sdk/client-secrets-manager, an optional peer dependency loaded here only.
 *
 * Secret name = DUAL_AUTH_AWS_SECRET_PREFIX (default `dual-auth/`) + KEY unchanged.
 * Endpoint: AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL (HTTPS, or plain
 * HTTP to a loopback address for a local emulator, with a warning), else the regional AWS endpoint. Credentials: the SDK's default chain, or
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN) from `env`.
 */
import type * as AwsSdk from '@aws-sdk/client-secrets-manager';
import { SecretsBackendError, errorClassName } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import type { SecretsBackend } from './backend.js';
import { checkEndpoint } from './endpoint.js';
import { awsSecretName, envTrimmed, envValue } from './names.js';
import { agentWithCa } from './tls.js';
import { importOptional } from './optional-import.js';
import { DEFAULT_SECRETS_TIMEOUT_MS, abortedError, finishValue, isAbort } from './value.js';

type Env = Readonly<Record<string, string | undefined>>;

const BACKEND = 'aws';

export interface AwsBackendOptions {
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Extra CA certificate(s) (PEM) to trust, e.g. for a private endpoint; NODE_EXTRA_CA_CERTS works too. */
  ca?: string | string[];
  /** pino-compatible logger for warnings (a plain-HTTP loopback endpoint). Default is silent. */
  logger?: LoggerLike;
}

export async function createAwsBackend(env: Env, options: AwsBackendOptions = {}): Promise<SecretsBackend> {
  const sdk = await importOptional<typeof AwsSdk>('@aws-sdk/client-secrets-manager', BACKEND, 'AWS Secrets Manager backend');
  const region = envTrimmed(env, 'DUAL_AUTH_AWS_REGION') ?? 'us-east-1';
  const prefix = envValue(env, 'DUAL_AUTH_AWS_SECRET_PREFIX', 'dual-auth/');
  const binaryEncoding = binaryEncodingOf(env);
  const endpoint = endpointOf(env, toLogger(options.logger));
  const timeoutMs = options.timeoutMs ?? DEFAULT_SECRETS_TIMEOUT_MS;

  let client: AwsSdk.SecretsManagerClient;
  try {
    client = new sdk.SecretsManagerClient({
      region,
      ...(endpoint ? { endpoint } : {}),
      ...credentialsOf(env),
      maxAttempts: 3,
      // Socket-level timeouts; the whole call is also bounded by an AbortSignal below.
      requestHandler: {
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        ...(options.ca ? { httpsAgent: agentWithCa(options.ca) } : {}),
      },
    });
  } catch (error) {
    throw new SecretsBackendError(`Failed to initialize AWS Secrets Manager client: ${errorClassName(error)}`, BACKEND, { cause: error });
  }

  return {
    name: BACKEND,
    async getSecret(key, { required = true, signal } = {}) {
      const secretName = awsSecretName(prefix, key);
      const abortSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      let response: AwsSdk.GetSecretValueCommandOutput;
      try {
        response = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretName }), { abortSignal });
      } catch (error) {
        const code = errorClassName(error);
        if (code === 'ResourceNotFoundException') {
          if (!required) return undefined;
          throw new SecretsBackendError(`AWS secret '${secretName}' not found in region '${region}'.`, BACKEND, { cause: error, code: 'ERR_SECRET_MISSING' });
        }
        // A 403 is a denial whatever its body (some endpoints answer it in XML).
        if (code === 'AccessDeniedException' || httpStatus(error) === 403) {
          throw new SecretsBackendError(`Access denied to AWS secret '${secretName}'.`, BACKEND, { cause: error });
        }
        if (signal?.aborted) throw abortedError(BACKEND, error);
        if (isAbort(error)) {
          throw new SecretsBackendError(`AWS connection error: timed out after ${timeoutMs} ms`, BACKEND, { cause: error, code: 'ERR_TIMEOUT' });
        }
        if (httpStatus(error) !== undefined) {
          throw new SecretsBackendError(`AWS Secrets Manager error: ${code}`, BACKEND, { cause: error });
        }
        throw new SecretsBackendError(`AWS connection error: ${networkCode(error)}`, BACKEND, { cause: error, code: 'ERR_NETWORK' });
      }
      const notFoundMessage = `AWS secret '${secretName}' not found in region '${region}'.`;
      if (response.SecretString !== undefined) {
        return finishValue(response.SecretString, { required, backend: BACKEND, notFoundMessage });
      }
      return finishValue(decodeBinary(response.SecretBinary, binaryEncoding, secretName), { required, backend: BACKEND, notFoundMessage });
    },
    async close() {
      client.destroy();
    },
  };
}

/**
 * SecretBinary arrives as raw bytes. The Python reference base64-decodes them
 * (boto3 hands it the raw bytes), so by default the bytes must be base64 text;
 * DUAL_AUTH_AWS_BINARY_ENCODING=raw takes the bytes as UTF-8 text instead.
 */
function decodeBinary(bytes: Uint8Array | undefined, encoding: 'base64' | 'raw', secretName: string): string | undefined {
  if (!bytes) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (encoding === 'raw') return text;
    const compact = text.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw new TypeError('not base64');
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch (error) {
    throw new SecretsBackendError(
      `AWS secret '${secretName}' has a binary value that is not ${encoding === 'raw' ? 'UTF-8 text' : 'base64-encoded UTF-8 text'}.`,
      BACKEND,
      { cause: error },
    );
  }
}

function binaryEncodingOf(env: Env): 'base64' | 'raw' {
  const value = (envTrimmed(env, 'DUAL_AUTH_AWS_BINARY_ENCODING') ?? 'base64').toLowerCase();
  if (value === 'base64' || value === 'raw') return value;
  throw new SecretsBackendError(`DUAL_AUTH_AWS_BINARY_ENCODING must be 'base64' or 'raw'. Got: '${value}'`, BACKEND, { code: 'ERR_CONFIGURATION' });
}

/** The service-specific variable wins over the global one, as in the AWS SDKs. */
function endpointOf(env: Env, logger: Logger): string | undefined {
  const name = envTrimmed(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER') ? 'AWS_ENDPOINT_URL_SECRETS_MANAGER' : 'AWS_ENDPOINT_URL';
  const endpoint = envTrimmed(env, name);
  if (!endpoint) return undefined;
  checkEndpoint(endpoint, name, BACKEND, 'https://secretsmanager.example.com', logger);
  return endpoint;
}

function credentialsOf(env: Env): { credentials?: AwsSdk.SecretsManagerClientConfig['credentials'] } {
  const accessKeyId = envTrimmed(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = envTrimmed(env, 'AWS_SECRET_ACCESS_KEY');
  if (!accessKeyId || !secretAccessKey) return {};
  const sessionToken = envTrimmed(env, 'AWS_SESSION_TOKEN');
  return { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function networkCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : errorClassName(error);
}
