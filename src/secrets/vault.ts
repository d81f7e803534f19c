/**
 * HashiCorp Vault (and OpenBao) backend (Python `VaultSecretsBackend`), on the
 * node-vault client, an optional peer dependency loaded here only.
 *
 * Path = DUAL_AUTH_VAULT_PATH_PREFIX (default `dual-auth/`) + normalised key,
 * at mount DUAL_AUTH_VAULT_MOUNT (default `secret`); KV v2, falling back to v1.
 * A secret `{ value: X }` yields X; any other map yields its JSON (Python's text).
 * Auth: VAULT_TOKEN, else AppRole (VAULT_ROLE_ID + VAULT_SECRET_ID), else the
 * Kubernetes service-account token with role VAULT_K8S_ROLE (default dual-auth).
 * VAULT_ADDR must be HTTPS (plain HTTP only to a loopback address, e.g. `vault server -dev`,
 * with a warning); a private CA comes from VAULT_CACERT (a PEM file)
 * or NODE_EXTRA_CA_CERTS. VAULT_SKIP_VERIFY is ignored: certificates are always checked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SecretsBackendError, errorClassName } from '../errors.js';
import { toLogger, type LoggerLike } from '../logging.js';
import type { SecretsBackend } from './backend.js';
import { checkEndpoint } from './endpoint.js';
import { envTrimmed, envValue, vaultSecretPath } from './names.js';
import { importOptional } from './optional-import.js';
import { pythonJsonDumps } from '../python-json.js';
import { HttpClient } from '../http/client.js';
import { HttpError } from '../http/errors.js';
import { DEFAULT_SECRETS_TIMEOUT_MS, finishValue, isAbort, raceSignal } from './value.js';

type Env = Readonly<Record<string, string | undefined>>;

const BACKEND = 'vault';
const K8S_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The part of node-vault's client this backend uses. */
interface VaultClient {
  token?: string | undefined;
  namespace?: string | undefined;
  pathPrefix: string;
  read(path: string, requestOptions?: object): Promise<{ data?: Record<string, unknown> & { data?: unknown } }>;
  approleLogin(args: { role_id: string; secret_id: string }): Promise<unknown>;
  kubernetesLogin(args: { role: string; jwt: string }): Promise<unknown>;
  tokenLookupSelf(): Promise<unknown>;
  tokenRevokeSelf(): Promise<unknown>;
}
type NodeVault = (options: Record<string, unknown>) => VaultClient;

export interface VaultBackendOptions {
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Extra CA certificate(s) (PEM) to trust, besides VAULT_CACERT. */
  ca?: string | string[];
  /** Where the Kubernetes service-account token is read from (default the in-pod path). */
  kubernetesTokenPath?: string;
  /** pino-compatible logger for warnings (a plain-HTTP loopback VAULT_ADDR). Default is silent. */
  logger?: LoggerLike;
}

export async function createVaultBackend(env: Env, options: VaultBackendOptions = {}): Promise<SecretsBackend> {
  const mod = await importOptional<{ default?: NodeVault } & NodeVault>('node-vault', BACKEND, 'HashiCorp Vault backend');
  const nodeVault = (mod.default ?? mod) as NodeVault;

  const addr = envTrimmed(env, 'VAULT_ADDR');
  const namespace = envTrimmed(env, 'VAULT_NAMESPACE');
  const mount = envValue(env, 'DUAL_AUTH_VAULT_MOUNT', 'secret');
  const prefix = envValue(env, 'DUAL_AUTH_VAULT_PATH_PREFIX', 'dual-auth/');
  const timeoutMs = options.timeoutMs ?? DEFAULT_SECRETS_TIMEOUT_MS;
  if (!addr) throw new SecretsBackendError('VAULT_ADDR environment variable is required for Vault backend.', BACKEND, { code: 'ERR_CONFIGURATION' });
  const plaintext = checkEndpoint(addr, 'VAULT_ADDR', BACKEND, 'https://vault.example.com:8200', toLogger(options.logger)) === 'loopback-http';

  const cas = [...caList(options.ca), ...caFile(envTrimmed(env, 'VAULT_CACERT'))];
  let client: VaultClient;
  try {
    client = nodeVault({
      apiVersion: 'v1',
      endpoint: addr,
      ...(namespace ? { namespace } : {}),
      // node-vault's own transport (axios) follows redirects with X-Vault-Token, even to http://,
      // and its debug output prints login bodies: it talks through our HTTP layer instead
      // (HTTPS only but to a loopback VAULT_ADDR, no redirects, certificates always checked, bounded bodies) and stays silent.
      'request-promise': vaultTransport(new HttpClient({ timeoutMs, allowHttpToLoopback: plaintext, ...(cas.length ? { ca: cas } : {}) })),
      debug: () => {},
    });
    // node-vault falls back to VAULT_TOKEN / VAULT_PREFIX / VAULT_NAMESPACE from process.env; we read only `env`.
    client.token = undefined;
    client.pathPrefix = '';
    client.namespace = namespace;
  } catch (error) {
    throw new SecretsBackendError(`Failed to initialize Vault client: ${errorClassName(error)}`, BACKEND, { cause: error });
  }

  // A token we obtained by logging in (AppRole, Kubernetes) is ours to revoke on close; VAULT_TOKEN is the caller's.
  const loggedIn = await authenticate(client, env, options.kubernetesTokenPath ?? K8S_TOKEN_PATH);
  try {
    await client.tokenLookupSelf();
  } catch (error) {
    if (statusOf(error) === 403 || statusOf(error) === 401) {
      throw new SecretsBackendError('Vault authentication failed. Check credentials.', BACKEND, { cause: error });
    }
    throw new SecretsBackendError(`Failed to initialize Vault client: ${describe(error)}`, BACKEND, { cause: error, code: networkish(error) });
  }

  // KV v2 first, then v1 (as Python). Unlike Python, a 403 on the v2 path also falls back
  // (a policy written for a v1 mount grants no `data/` path), and a v1 403 after a v2 404
  // means "not there" (a policy written for v2 grants no v1 path): see docs/secrets-backends.md.
  const read = async (path: string): Promise<Record<string, unknown> | undefined> => {
    let v2Status: number | undefined;
    try {
      const v2 = await client.read(`${mount}/data/${path}`);
      return asMap(v2.data?.data);
    } catch (error) {
      v2Status = statusOf(error);
      if (v2Status !== 404 && v2Status !== 403) throw error;
    }
    try {
      const v1 = await client.read(`${mount}/${path}`);
      return asMap(v1.data);
    } catch (error) {
      const v1Status = statusOf(error);
      if (v1Status === 404 || (v1Status === 403 && v2Status === 404)) return undefined;
      throw error;
    }
  };

  return {
    name: BACKEND,
    async close() {
      if (!loggedIn) return;
      try {
        await client.tokenRevokeSelf();
      } catch {
        // Best effort: the token expires by its own TTL anyway.
      }
    },
    async getSecret(key, { required = true, signal } = {}) {
      const secretPath = vaultSecretPath(prefix, key);
      let data: Record<string, unknown> | undefined;
      try {
        data = await raceSignal(read(secretPath), signal, BACKEND);
      } catch (error) {
        if (error instanceof SecretsBackendError) throw error;
        if (statusOf(error) === 403) {
          throw new SecretsBackendError(`Permission denied accessing Vault secret '${secretPath}'.`, BACKEND, { cause: error });
        }
        throw new SecretsBackendError(`Vault error retrieving '${secretPath}': ${describe(error)}`, BACKEND, { cause: error, code: networkish(error) });
      }
      const notFoundMessage = `Vault secret '${secretPath}' not found at mount '${mount}'.`;
      if (data === undefined) return finishValue(undefined, { required, backend: BACKEND, notFoundMessage });
      const keys = Object.keys(data);
      const raw = keys.length === 1 && keys[0] === 'value' ? toText(data.value) : pythonJsonDumps(data);
      return finishValue(raw, { required, backend: BACKEND, notFoundMessage });
    },
  };
}

/** Logs in; true when the token was obtained here (AppRole, Kubernetes) rather than given. */
async function authenticate(client: VaultClient, env: Env, k8sTokenPath: string): Promise<boolean> {
  const token = envTrimmed(env, 'VAULT_TOKEN');
  if (token) {
    client.token = token;
    return false;
  }
  const roleId = envTrimmed(env, 'VAULT_ROLE_ID');
  const secretId = envTrimmed(env, 'VAULT_SECRET_ID');
  if (roleId && secretId) {
    try {
      await client.approleLogin({ role_id: roleId, secret_id: secretId });
      return true;
    } catch (error) {
      throw new SecretsBackendError(`Vault AppRole authentication failed: ${describe(error)}`, BACKEND, { cause: error });
    }
  }
  if (existsSync(k8sTokenPath)) {
    try {
      const jwt = readFileSync(k8sTokenPath, 'utf8').trim();
      await client.kubernetesLogin({ role: envTrimmed(env, 'VAULT_K8S_ROLE') ?? 'dual-auth', jwt });
      return true;
    } catch {
      // As in Python: a failed Kubernetes login falls through to "no credentials".
    }
  }
  throw new SecretsBackendError(
    'No Vault authentication credentials found. Set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID, or run in Kubernetes.',
    BACKEND,
    { code: 'ERR_CONFIGURATION' },
  );
}

interface VaultRequest {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  json?: unknown;
}

/** node-vault's `request-promise` hook: its requests sent through our HttpClient. */
function vaultTransport(http: HttpClient): { defaults: () => (request: VaultRequest) => Promise<unknown> } {
  const send = async (request: VaultRequest): Promise<unknown> => {
    const body = request.json !== undefined && typeof request.json === 'object' ? JSON.stringify(request.json) : undefined;
    const headers: Record<string, string> = { ...request.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const answer = await http.request(request.uri, { method: request.method, headers, body });
    const text = answer.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { statusCode: answer.status, body: parsed, request: { path: new URL(request.uri).pathname } };
  };
  return { defaults: () => send };
}

function asMap(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function toText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : pythonJsonDumps(value);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { statusCode?: unknown } })?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The HTTP status or the error's class/code; never Vault's body (it can echo request data). */
function describe(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined) return `HTTP ${status}`;
  if (error instanceof HttpError) return error.kind === 'timeout' ? 'timed out' : error.pythonName;
  if (isAbort(error) || (error as { code?: unknown })?.code === 'ECONNABORTED') return 'timed out';
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : errorClassName(error);
}

function networkish(error: unknown): 'ERR_NETWORK' | 'ERR_TIMEOUT' | 'ERR_SECRETS_BACKEND' {
  if (statusOf(error) !== undefined) return 'ERR_SECRETS_BACKEND';
  if (error instanceof HttpError) return error.kind === 'timeout' ? 'ERR_TIMEOUT' : 'ERR_NETWORK';
  const code = (error as { code?: unknown })?.code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || isAbort(error)) return 'ERR_TIMEOUT';
  return 'ERR_NETWORK';
}

function caList(ca: string | string[] | undefined): string[] {
  if (!ca) return [];
  return typeof ca === 'string' ? [ca] : ca;
}

function caFile(path: string | undefined): string[] {
  if (!path) return [];
  try {
    return [readFileSync(path, 'utf8')];
  } catch (error) {
    throw new SecretsBackendError(`VAULT_CACERT file cannot be read: ${errorClassName(error)}`, BACKEND, { cause: error, code: 'ERR_CONFIGURATION' });
  }
}
