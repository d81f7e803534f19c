import { mkdtempSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  EnvironmentSecretsBackend,
  SecretsBackendError,
  getConfig,
  getSecretsBackendType,
  getVendor,
  type DualAuthConfig,
  type SecretsBackend,
} from '../../src/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';

const SECRET = 'config-test-secret-value';
markSensitive(SECRET);

const dir = mkdtempSync(join(tmpdir(), 'dual-auth-config-'));
const keyPath = join(dir, 'app-private-key.pem');
writeFileSync(keyPath, 'pem', { mode: 0o600 });

const VENDOR_ENV = {
  keycloak: { KEYCLOAK_TOKEN_URL: 'https://kc.example.com/realms/finance/protocol/openid-connect/token', AGENT_CLIENT_ID: 'finance-agent', AGENT_CLIENT_SECRET: SECRET },
  auth0: { AUTH0_TOKEN_URL: 'https://tenant.auth0.com/oauth/token', AGENT_CLIENT_ID: 'm2m', AGENT_CLIENT_SECRET: SECRET, API_AUDIENCE: 'https://api.example.com' },
  okta: { OKTA_TOKEN_URL: 'https://dev-1.okta.com/oauth2/aus1/v1/token', AGENT_CLIENT_ID: 'svc', AGENT_CLIENT_SECRET: SECRET, API_AUDIENCE: 'api://default' },
  entraid: {
    ENTRAID_TOKEN_URL: 'https://login.microsoftonline.com/tenant/oauth2/v2.0/token',
    AGENT_CLIENT_ID: 'app-reg',
    AGENT_CLIENT_SECRET: SECRET,
    API_SCOPE: 'https://api.example.com/.default',
    API_AUDIENCE: 'https://api.example.com',
    APP_PRIVATE_KEY_PATH: keyPath,
    APP_ID: 'https://app.example.com',
  },
} as const;

type VendorName = keyof typeof VENDOR_ENV;

describe('getConfig', () => {
  it('reads each vendor from the environment (camelCase)', async () => {
    // clientSecret is readable but not enumerable (it never prints): compare it explicitly.
    const fields = (config: DualAuthConfig) => ({ ...Object.fromEntries(Object.entries(config)), clientSecret: config.clientSecret });
    expect(fields(await getConfig({ env: { DUAL_AUTH_VENDOR: 'keycloak', ...VENDOR_ENV.keycloak } }))).toEqual({
      vendor: 'keycloak',
      tokenUrl: VENDOR_ENV.keycloak.KEYCLOAK_TOKEN_URL,
      clientId: 'finance-agent',
      clientSecret: SECRET,
      audience: undefined,
    });
    expect(await getConfig({ vendor: 'auth0', env: VENDOR_ENV.auth0 })).toMatchObject({ vendor: 'auth0', audience: 'https://api.example.com' });
    expect(await getConfig({ vendor: ' OKTA ', env: VENDOR_ENV.okta })).toMatchObject({ vendor: 'okta', audience: 'api://default' });
    expect(fields(await getConfig({ vendor: 'entraid', env: VENDOR_ENV.entraid }))).toEqual({
      vendor: 'entraid',
      tokenUrl: VENDOR_ENV.entraid.ENTRAID_TOKEN_URL,
      clientId: 'app-reg',
      clientSecret: SECRET,
      scope: 'https://api.example.com/.default',
      appPrivateKeyPath: keyPath,
      appId: 'https://app.example.com',
      actAudience: 'https://api.example.com',
    });
  });

  it('defaults to keycloak, trims values and lower-cases the vendor', async () => {
    const config = await getConfig({ env: { ...VENDOR_ENV.keycloak, AGENT_CLIENT_ID: '  finance-agent \n' } });
    expect(config.vendor).toBe('keycloak');
    expect(config.clientId).toBe('finance-agent');
    expect((await getConfig({ env: { DUAL_AUTH_VENDOR: 'Auth0', ...VENDOR_ENV.auth0 } })).vendor).toBe('auth0');
  });

  it('the argument wins over DUAL_AUTH_VENDOR', async () => {
    const config = await getConfig({ vendor: 'okta', env: { DUAL_AUTH_VENDOR: 'auth0', ...VENDOR_ENV.okta } });
    expect(config.vendor).toBe('okta');
  });

  it('never prints the client secret', async () => {
    const config = await getConfig({ env: VENDOR_ENV.keycloak });
    expect(inspect(config)).not.toContain(SECRET);
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(config.clientSecret).toBe(SECRET);
  });

  const cases = (Object.keys(VENDOR_ENV) as VendorName[]).flatMap((vendor) => Object.keys(VENDOR_ENV[vendor]).map((key) => [vendor, key] as const));
  it.each(cases)('%s: missing %s gives the Python text', async (vendor, key) => {
    for (const value of [undefined, '   ']) {
      const env: Record<string, string | undefined> = { ...VENDOR_ENV[vendor], [key]: value };
      const error = await rejection(getConfig({ vendor, env }));
      expect(error).toBeInstanceOf(SecretsBackendError);
      expect((error as SecretsBackendError).backend).toBe('environment');
      expect(error.message).toBe(`Environment variable '${key}' is required but not set or empty. Example: export ${key}=your-value-here`);
      expect(error.code).toBe('ERR_SECRET_MISSING');
    }
  });

  it('reports missing variables in the Python order', async () => {
    const error = await rejection(getConfig({ vendor: 'auth0', env: { AUTH0_TOKEN_URL: VENDOR_ENV.auth0.AUTH0_TOKEN_URL } }));
    expect(error.message).toContain("'AGENT_CLIENT_ID'");
    const entra = await rejection(getConfig({ vendor: 'entraid', env: { ...VENDOR_ENV.entraid, API_SCOPE: '', APP_PRIVATE_KEY_PATH: join(dir, 'nope.pem') } }));
    expect(entra.message).toBe(`APP_PRIVATE_KEY_PATH file does not exist: ${join(dir, 'nope.pem')}`);
  });

  it.each(Object.keys(VENDOR_ENV) as VendorName[])('%s: an http token URL is refused', async (vendor) => {
    const key = `${vendor.toUpperCase()}_TOKEN_URL`;
    const error = await rejection(getConfig({ vendor, env: { ...VENDOR_ENV[vendor], [key]: 'http://iam.example.com/token' } }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe('token_url must use HTTPS for security. Got scheme: http');
    expect(error.code).toBe('ERR_INSECURE_URL');
  });

  it('a token URL without scheme or host is refused', async () => {
    let error = await rejection(getConfig({ env: { ...VENDOR_ENV.keycloak, KEYCLOAK_TOKEN_URL: 'iam.example.com/token' } }));
    expect(error.message).toBe('token_url must use HTTPS. Example: https://example.com/path');
    error = await rejection(getConfig({ env: { ...VENDOR_ENV.keycloak, KEYCLOAK_TOKEN_URL: 'https://' } }));
    expect(error.message).toBe('token_url has invalid URL format: token_url missing hostname');
    error = await rejection(getConfig({ env: { ...VENDOR_ENV.keycloak, KEYCLOAK_TOKEN_URL: 'https:///realms/r/protocol/openid-connect/token' } }));
    expect(error.message).toBe('token_url has invalid URL format: token_url missing hostname');
  });

  it('warns (does not fail) on localhost URLs, world-readable keys and non-.default scopes', async () => {
    const worldReadable = join(dir, 'world.pem');
    writeFileSync(worldReadable, 'pem');
    chmodSync(worldReadable, 0o644);
    const logger = auditLogger();
    await getConfig({
      vendor: 'entraid',
      logger,
      env: { ...VENDOR_ENV.entraid, ENTRAID_TOKEN_URL: 'https://127.0.0.1:8443/t/oauth2/v2.0/token', APP_PRIVATE_KEY_PATH: worldReadable, API_SCOPE: 'finance.read' },
    });
    const warnings = logger.lines.filter((line) => line.startsWith('warn'));
    expect(warnings.map((line) => JSON.parse(line.slice(5, line.lastIndexOf('}') + 1)).event).sort()).toEqual([
      'config_key_world_readable',
      'config_localhost_url',
      'config_scope_not_default',
    ]);
  });

  it('checks the key file: missing, a directory', async () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    const error = await rejection(getConfig({ vendor: 'entraid', env: { ...VENDOR_ENV.entraid, APP_PRIVATE_KEY_PATH: sub } }));
    expect(error.message).toBe(`APP_PRIVATE_KEY_PATH path is not a file: ${sub}`);
  });

  it('refuses an unknown vendor or backend with the Python texts', async () => {
    let error = await rejection(getConfig({ vendor: 'PingID', env: VENDOR_ENV.keycloak }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe("Invalid vendor: 'pingid'. Must be one of: keycloak, auth0, okta, entraid");
    error = await rejection(getConfig({ env: { ...VENDOR_ENV.keycloak, DUAL_AUTH_VENDOR: 'nope' } }));
    expect(error.message).toBe("Invalid vendor: 'nope'. Must be one of: keycloak, auth0, okta, entraid");
    error = await rejection(getConfig({ secretsBackend: 'S3', env: VENDOR_ENV.keycloak }));
    expect(error.message).toBe("Invalid secrets backend: 's3'. Must be one of: env, aws, gcp, azure, vault");
    error = await rejection(getConfig({ env: { ...VENDOR_ENV.keycloak, DUAL_AUTH_SECRETS_BACKEND: 'consul' } }));
    expect(error.message).toBe("Invalid secrets backend: 'consul'. Must be one of: env, aws, gcp, azure, vault");
  });

  it('accepts the backend aliases environment and hashicorp', async () => {
    expect((await getConfig({ secretsBackend: 'environment', env: VENDOR_ENV.keycloak })).vendor).toBe('keycloak');
    const error = await rejection(getConfig({ secretsBackend: 'hashicorp', env: VENDOR_ENV.keycloak }));
    expect(error).toBeInstanceOf(SecretsBackendError);
    expect((error as SecretsBackendError).backend).toBe('vault');
  });

  it('reads the keys of one config in parallel, each once, the vendor from the backend first', async () => {
    const reads: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const values: Record<string, string> = { DUAL_AUTH_VENDOR: 'okta', ...VENDOR_ENV.okta };
    const backend: SecretsBackend = {
      name: 'counting',
      async getSecret(key) {
        reads.push(key);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return values[key];
      },
    };
    const config = await getConfig({ backend, env: {} });
    expect(config.vendor).toBe('okta');
    expect(reads[0]).toBe('DUAL_AUTH_VENDOR');
    expect(reads.slice(1).sort()).toEqual(['AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_AUDIENCE', 'OKTA_TOKEN_URL']);
    expect(maxInFlight).toBe(4);
  });

  it('an EntraID agent that signs no act assertion reads only its four keys from an asynchronous backend', async () => {
    const readsFor = async (delegation: 'act' | 'token-exchange' | 'assertion') => {
      const reads: string[] = [];
      const backend: SecretsBackend = {
        name: 'recording',
        async getSecret(key) {
          reads.push(key);
          return ({ DUAL_AUTH_VENDOR: 'entraid', ...VENDOR_ENV.entraid } as Record<string, string>)[key];
        },
      };
      const config = await getConfig({ backend, env: {}, delegation });
      return { reads: reads.slice(1).sort(), keys: Object.keys(config).sort() };
    };
    const agentKeys = ['AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_SCOPE', 'ENTRAID_TOKEN_URL'];
    for (const delegation of ['token-exchange', 'assertion'] as const) {
      expect(await readsFor(delegation)).toEqual({ reads: agentKeys, keys: ['clientId', 'scope', 'tokenUrl', 'vendor'] });
    }
    expect((await readsFor('act')).reads).toEqual([...agentKeys, 'API_AUDIENCE', 'APP_ID', 'APP_PRIVATE_KEY_PATH'].sort());
  });

  it('falls back to the environment vendor when the backend cannot read it', async () => {
    const backend: SecretsBackend = {
      name: 'flaky',
      async getSecret(key) {
        if (key === 'DUAL_AUTH_VENDOR') throw new SecretsBackendError('denied', 'flaky');
        return (VENDOR_ENV.auth0 as Record<string, string>)[key];
      },
    };
    expect((await getConfig({ backend, env: { DUAL_AUTH_VENDOR: 'auth0' } })).vendor).toBe('auth0');
  });

  it('wraps an unexpected backend failure as a ConfigurationError naming its class only', async () => {
    const backend: SecretsBackend = {
      name: 'broken',
      async getSecret(key) {
        if (key === 'DUAL_AUTH_VENDOR') return 'keycloak';
        throw new TypeError(`boom ${SECRET}`);
      },
    };
    const error = await rejection(getConfig({ backend, env: {} }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe('Unexpected error: TypeError');
  });
});

describe("a caller's backend and the environment backend's defaults (issue 16)", () => {
  /** A backend of the caller's own, counting close() calls. */
  function ownBackend(values: Record<string, string>, failWith?: Error) {
    const backend = {
      name: 'own',
      closed: 0,
      async getSecret(key: string) {
        if (failWith && key !== 'DUAL_AUTH_VENDOR') throw failWith;
        return values[key];
      },
      async close() {
        backend.closed++;
      },
    } satisfies SecretsBackend & { closed: number };
    return backend;
  }

  it("never closes a backend the caller passed in: it stays usable for the next getConfig", async () => {
    const backend = ownBackend({ DUAL_AUTH_VENDOR: 'okta', ...VENDOR_ENV.okta });
    expect((await getConfig({ backend, env: {} })).vendor).toBe('okta');
    expect((await getConfig({ backend, env: {} })).clientId).toBe('svc');
    expect(backend.closed).toBe(0);
  });

  it("never closes a caller's backend when loading fails either", async () => {
    const missing = ownBackend({ DUAL_AUTH_VENDOR: 'okta' });
    expect((await rejection(getConfig({ backend: missing, env: {} }))).code).toBe('ERR_SECRET_MISSING');
    const broken = ownBackend({ DUAL_AUTH_VENDOR: 'okta' }, new TypeError('boom'));
    expect((await rejection(getConfig({ backend: broken, env: {} }))).message).toBe('Unexpected error: TypeError');
    expect([missing.closed, broken.closed]).toEqual([0, 0]);
  });

  it('EnvironmentSecretsBackend: a bare getSecret of an unset variable is ERR_SECRET_MISSING (required by default)', async () => {
    const env = new EnvironmentSecretsBackend({ BLANK: '  ' });
    for (const key of ['NOPE', 'BLANK']) {
      const error = await rejection(env.getSecret(key));
      expect(error).toBeInstanceOf(SecretsBackendError);
      expect([error.code, error.message]).toEqual(['ERR_SECRET_MISSING', `Environment variable '${key}' is required but not set or empty. Example: export ${key}=your-value-here`]);
      expect(thrown(() => env.getSecretSync(key)).code).toBe('ERR_SECRET_MISSING');
      expect(thrown(() => env.getSecretSync(key, {})).code).toBe('ERR_SECRET_MISSING');
    }
    expect(await env.getSecret('NOPE', { required: false })).toBeUndefined();
    expect(env.getSecretSync('BLANK', { required: false })).toBeUndefined();
    expect(await new EnvironmentSecretsBackend({ SET: ' value ' }).getSecret('SET')).toBe('value');
  });
});

describe('getVendor / getSecretsBackendType', () => {
  it('read only the environment, with defaults', () => {
    expect(getVendor({})).toBe('keycloak');
    expect(getVendor({ DUAL_AUTH_VENDOR: ' EntraID ' })).toBe('entraid');
    expect(getSecretsBackendType({})).toBe('env');
    expect(getSecretsBackendType({ DUAL_AUTH_SECRETS_BACKEND: 'AWS' })).toBe('aws');
  });
});

describe('the token URL host, read as Python urlparse reads it (issue 16)', () => {
  /** Whether getConfig warns that the token URL points at this machine. */
  async function warnsLocalhost(url: string): Promise<boolean> {
    const logger = auditLogger();
    await getConfig({ logger, env: { ...VENDOR_ENV.keycloak, KEYCLOAK_TOKEN_URL: url } });
    return logger.lines.some((line) => line.startsWith('warn') && line.includes('config_localhost_url'));
  }

  it('is what follows https:// and user info, up to a port, a path, a query or a fragment', async () => {
    const local = ['https://localhost/t', 'https://localhost', 'https://localhost:8443/t', 'https://localhost:/t', 'https://user@localhost/t', 'https://user:pw@127.0.0.1:8443/t', 'https://127.0.0.1?x=1', 'https://127.0.0.1#f', 'https://a@b@localhost/t'];
    for (const url of local) expect([url, await warnsLocalhost(url)]).toEqual([url, true]);
    const remote = [
      'https://localhost.example.com/t',
      'https://iam.example.com/localhost',
      'https://iam.example.com?h=localhost',
      'https://iam.example.com#localhost',
      'https://localhost@iam.example.com/t',
      'https://iam.example.com:127/t',
      'https://10.0.0.127/t',
      'https://localhost:80a/t',
    ];
    for (const url of remote) expect([url, await warnsLocalhost(url)]).toEqual([url, false]);
  });

  it('is missing (refused) when only user info, a port, a query or a fragment follows https://', async () => {
    for (const url of ['https://user@/t', 'https://:8443/t', 'https://user@:8443', 'https://?x=1', 'https://#f']) {
      const error = await rejection(getConfig({ env: { ...VENDOR_ENV.keycloak, KEYCLOAK_TOKEN_URL: url } }));
      expect([url, error.message]).toEqual([url, 'token_url has invalid URL format: token_url missing hostname']);
    }
  });
});
