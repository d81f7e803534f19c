/**
 * Configuration parity: the same environment gives the same config, field by
 * field (Python snake_case -> our camelCase), and the same bad environment
 * gives the same error class name and message text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DualAuthError, getConfig, getSecretsBackendType, getVendor } from '../../src/index.js';
import { ok, runPython, type PyError, type PyResult } from './helpers/python.js';
import { SNAKE_TO_CAMEL, writeFixtures, type KeyFiles } from './helpers/fixtures.js';

type Env = Record<string, string>;


let keys: KeyFiles;
let keyDir: string;

function envs(): Record<string, Env> {
  const common = { AGENT_CLIENT_ID: 'agent-finance-bot', AGENT_CLIENT_SECRET: 'interop-secret-value' };
  return {
    keycloak: { DUAL_AUTH_VENDOR: 'keycloak', KEYCLOAK_TOKEN_URL: 'https://kc.example.com/realms/dual-auth/protocol/openid-connect/token', ...common },
    auth0: { DUAL_AUTH_VENDOR: 'auth0', AUTH0_TOKEN_URL: 'https://tenant.auth0.example.com/oauth/token', API_AUDIENCE: 'https://api.example.com/finance', ...common },
    okta: { DUAL_AUTH_VENDOR: 'okta', OKTA_TOKEN_URL: 'https://dev-1.okta.example.com/oauth2/aus1/v1/token', API_AUDIENCE: 'api://finance', ...common },
    entraid: {
      DUAL_AUTH_VENDOR: 'entraid',
      ENTRAID_TOKEN_URL: 'https://login.microsoftonline.example.com/tenant-1/oauth2/v2.0/token',
      API_SCOPE: 'api://finance-api/.default',
      APP_PRIVATE_KEY_PATH: keys.privatePkcs8,
      APP_ID: 'app-7f3c9a1e',
      API_AUDIENCE: 'https://api.example.com/finance',
      ...common,
    },
  };
}

interface Case {
  name: string;
  env: Env;
  vendor?: string;
  secretsBackend?: string;
}

function goodCases(): Case[] {
  const e = envs();
  return [
    ...Object.entries(e).map(([name, env]) => ({ name, env })),
    { name: 'values trimmed, vendor upper-case with spaces', env: { ...Object.fromEntries(Object.entries(e.okta!).map(([k, v]) => [k, `  ${v}\t`])), DUAL_AUTH_VENDOR: ' OKTA ' } },
    { name: 'vendor argument wins over DUAL_AUTH_VENDOR', env: { ...e.auth0!, ...e.keycloak!, DUAL_AUTH_VENDOR: 'keycloak' }, vendor: 'Auth0' },
    { name: 'no DUAL_AUTH_VENDOR: keycloak', env: Object.fromEntries(Object.entries(e.keycloak!).filter(([k]) => k !== 'DUAL_AUTH_VENDOR')) },
    { name: 'backend alias "environment"', env: { ...e.keycloak!, DUAL_AUTH_SECRETS_BACKEND: 'environment' } },
    { name: 'backend argument "ENV"', env: e.entraid!, secretsBackend: 'ENV' },
    { name: 'scope without /.default only warns', env: { ...e.entraid!, API_SCOPE: 'finance.read' } },
    { name: 'localhost token URL only warns', env: { ...e.keycloak!, KEYCLOAK_TOKEN_URL: 'https://127.0.0.1:8443/realms/x/protocol/openid-connect/token' } },
  ];
}

function badCases(): Case[] {
  const e = envs();
  const drop = (env: Env, key: string): Env => Object.fromEntries(Object.entries(env).filter(([k]) => k !== key));
  const missing: Case[] = Object.entries(e).flatMap(([vendor, env]) =>
    Object.keys(env)
      .filter((k) => k !== 'DUAL_AUTH_VENDOR')
      .map((key) => ({ name: `${vendor}: ${key} missing`, env: drop(env, key) })),
  );
  return [
    ...missing,
    { name: 'entraid: everything missing (first key reported)', env: { DUAL_AUTH_VENDOR: 'entraid' } },
    { name: 'keycloak: everything missing', env: {} },
    { name: 'empty value counts as missing', env: { ...e.auth0!, AGENT_CLIENT_SECRET: '   ' } },
    { name: 'http token URL', env: { ...e.keycloak!, KEYCLOAK_TOKEN_URL: 'http://kc.example.com/realms/x/protocol/openid-connect/token' } },
    { name: 'token URL without scheme', env: { ...e.okta!, OKTA_TOKEN_URL: 'dev-1.okta.example.com/oauth2/aus1/v1/token' } },
    { name: 'unknown vendor (env)', env: { ...e.keycloak!, DUAL_AUTH_VENDOR: 'PingFed' } },
    { name: 'unknown vendor (argument)', env: e.keycloak!, vendor: 'cognito' },
    { name: 'DUAL_AUTH_VENDOR set but empty', env: { ...e.keycloak!, DUAL_AUTH_VENDOR: '' } },
    { name: 'DUAL_AUTH_VENDOR only spaces', env: { ...e.keycloak!, DUAL_AUTH_VENDOR: '   ' } },
    { name: 'unknown backend (env)', env: { ...e.keycloak!, DUAL_AUTH_SECRETS_BACKEND: 'Consul' } },
    { name: 'unknown backend (argument)', env: e.keycloak!, secretsBackend: 'etcd' },
    { name: 'missing key file', env: { ...e.entraid!, APP_PRIVATE_KEY_PATH: join(keys.dir, 'missing-key.pem') } },
    { name: 'key path is a directory', env: { ...e.entraid!, APP_PRIVATE_KEY_PATH: keyDir } },
  ];
}

let good: Case[];
let bad: Case[];
let pyGood: PyResult<Record<string, string | null>>[];
let pyBad: PyResult[];

beforeAll(async () => {
  keys = writeFixtures('unused');
  keyDir = join(keys.dir, 'a-directory');
  mkdirSync(keyDir);
  good = goodCases();
  bad = badCases();
  const op = (c: Case) => ({ op: 'config', env: c.env, vendor: c.vendor ?? null, secrets_backend: c.secretsBackend ?? null });
  const results = await runPython([...good, ...bad].map(op));
  pyGood = results.slice(0, good.length) as PyResult<Record<string, string | null>>[];
  pyBad = results.slice(good.length);
});
afterAll(() => keys?.cleanup());

async function ours(c: Case) {
  return getConfig({ env: c.env, ...(c.vendor ? { vendor: c.vendor } : {}), ...(c.secretsBackend ? { secretsBackend: c.secretsBackend } : {}) });
}

describe('the same environment gives the same config', () => {
  it('every good case, field by field', async () => {
    for (const [i, c] of good.entries()) {
      const py = ok(pyGood[i]);
      const expected = Object.fromEntries(Object.entries(py).map(([k, v]) => [SNAKE_TO_CAMEL[k] ?? `?${k}`, v ?? undefined]));
      const config = (await ours(c)) as unknown as Record<string, unknown>;
      const { vendor, ...fields } = { ...config };
      expect({ case: c.name, fields: JSON.parse(JSON.stringify({ ...fields, clientSecret: config.clientSecret })) }).toEqual({
        case: c.name,
        fields: JSON.parse(JSON.stringify(expected)),
      });
      // Python returns no vendor field; ours is a discriminated union on it.
      expect(['keycloak', 'auth0', 'okta', 'entraid']).toContain(vendor);
    }
  });

  it('the config prints without its secret in ours (Python prints the dict as is)', async () => {
    const config = await ours(good[0]!);
    expect(JSON.stringify(config)).not.toContain('interop-secret-value');
    expect(config.clientSecret).toBe('interop-secret-value');
  });

  it('getVendor and getSecretsBackendType read the environment alike', async () => {
    const cases: Env[] = [{}, { DUAL_AUTH_VENDOR: ' Auth0 ', DUAL_AUTH_SECRETS_BACKEND: 'VAULT ' }, { DUAL_AUTH_VENDOR: 'whatever', DUAL_AUTH_SECRETS_BACKEND: 'hashicorp' }];
    const py = await runPython<{ vendor: string; secrets_backend: string }>(cases.map((env) => ({ op: 'vendor', env })));
    cases.forEach((env, i) => {
      expect({ vendor: getVendor(env), secrets_backend: getSecretsBackendType(env) }).toEqual(ok(py[i]));
    });
  });
});

describe('the same bad environment gives the same error', () => {
  it('every bad case: class name and message text', async () => {
    expect(bad.length).toBeGreaterThan(20);
    for (const [i, c] of bad.entries()) {
      const py = pyBad[i]!;
      expect(py.error, `${c.name}: Python accepted it`).toBeDefined();
      const e = py.error as PyError;
      let mine: unknown;
      try {
        await ours(c);
      } catch (error) {
        mine = error;
      }
      expect(mine, `${c.name}: ours accepted it`).toBeInstanceOf(DualAuthError);
      const m = mine as DualAuthError & { backend?: string };
      expect({ case: c.name, type: m.name, message: m.message }).toEqual({ case: c.name, type: e.type, message: e.str });
      if (e.type === 'SecretsBackendError') expect(m.backend).toBe(e.backend);
    }
  });

  it('pins a few reference texts', () => {
    const text = (name: string) => (pyBad[bad.findIndex((c) => c.name === name)]!.error as PyError).str;
    expect(text('http token URL')).toBe('token_url must use HTTPS for security. Got scheme: http');
    expect(text('unknown vendor (env)')).toBe("Invalid vendor: 'pingfed'. Must be one of: keycloak, auth0, okta, entraid");
    expect(text('unknown backend (env)')).toBe("Invalid secrets backend: 'consul'. Must be one of: env, aws, gcp, azure, vault");
    expect(text('entraid: everything missing (first key reported)')).toBe(
      "Environment variable 'APP_PRIVATE_KEY_PATH' is required but not set or empty. Example: export APP_PRIVATE_KEY_PATH=your-value-here",
    );
    expect(text('missing key file')).toBe(`APP_PRIVATE_KEY_PATH file does not exist: ${join(keys.dir, 'missing-key.pem')}`);
  });
});

describe('a token URL without a host', () => {
  it('Python refuses "https:///path"; so do we (WHATWG URL would read the first path segment as the host)', async () => {
    const env = { ...envs().keycloak!, KEYCLOAK_TOKEN_URL: 'https:///realms/x/protocol/openid-connect/token' };
    const [py] = await runPython([{ op: 'config', env }]);
    expect(py!.error?.str).toBe('token_url has invalid URL format: token_url missing hostname');
    let mine: unknown;
    try {
      await getConfig({ env });
    } catch (error) {
      mine = error;
    }
    expect(mine).toBeInstanceOf(DualAuthError);
    expect((mine as Error).message).toBe(py!.error?.str);
  });
});
