import { beforeAll, describe, expect, inject, it } from 'vitest';
import { getConfig } from '../../src/index.js';
import { normaliseKey } from '../../src/secrets/names.js';
import { createVaultBackend } from '../../src/secrets/vault.js';
import { httpsRequest } from '../../scripts/secrets/tls.js';
import { OKTA_VALUES, expectBackendError } from './fixtures.js';
import './servers.js';

const servers = inject('secretsServers');
const bao = servers.vault;
const tokenEnv = { VAULT_ADDR: bao.addr, VAULT_CACERT: servers.caFile, VAULT_TOKEN: bao.readerToken };

async function write(path: string, body: unknown): Promise<void> {
  const res = await httpsRequest(`${bao.addr}/v1/${path}`, {
    method: 'POST',
    ca: servers.caCert,
    headers: { 'x-vault-token': bao.rootToken, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`write ${path}: HTTP ${res.status}`);
}

beforeAll(async () => {
  for (const [key, value] of Object.entries(OKTA_VALUES)) await write(`secret/data/dual-auth/${normaliseKey(key)}`, { data: { value } });
  await write('secret/data/dual-auth/json-map', { data: { client_id: 'agent-finance-01', note: 'café' } });
  await write('secret/data/dual-auth/padded', { data: { value: '  padded \n' } });
  await write('kv1/dual-auth/kv1-only', { value: 'from-kv-v1' });
  await write('kv1/dual-auth/kv1-map', { a: '1', b: '2' });
});

describe('vault backend against OpenBao (HTTPS, real server)', () => {
  it('getConfig({ secretsBackend: "vault" }) returns what the env backend returns (token auth)', async () => {
    const fromVault = await getConfig({ secretsBackend: 'vault', env: { ...tokenEnv, DUAL_AUTH_VENDOR: 'okta' } });
    const fromEnv = await getConfig({ secretsBackend: 'env', env: { ...OKTA_VALUES, DUAL_AUTH_VENDOR: 'okta' } });
    expect(fromVault).toEqual(fromEnv);
  });

  it('logs in with AppRole (VAULT_ROLE_ID + VAULT_SECRET_ID)', async () => {
    const backend = await createVaultBackend({ VAULT_ADDR: bao.addr, VAULT_CACERT: servers.caFile, VAULT_ROLE_ID: bao.roleId, VAULT_SECRET_ID: bao.secretId });
    expect(backend.name).toBe('vault');
    expect(await backend.getSecret('AGENT_CLIENT_SECRET')).toBe(OKTA_VALUES.AGENT_CLIENT_SECRET);
    // The token obtained by the login is revoked on close: reads fail afterwards.
    await backend.close?.();
    await expectBackendError(backend.getSecret('AGENT_CLIENT_SECRET'), 'vault');
  });

  it('does not revoke a VAULT_TOKEN it was given', async () => {
    const backend = await createVaultBackend(tokenEnv);
    await backend.close?.();
    expect(await (await createVaultBackend(tokenEnv)).getSecret('AGENT_CLIENT_SECRET')).toBe(OKTA_VALUES.AGENT_CLIENT_SECRET);
  });

  it('{value: X} yields X; another map yields its JSON (Python json.dumps text); values are trimmed', async () => {
    const backend = await createVaultBackend(tokenEnv);
    const json = await backend.getSecret('JSON_MAP');
    expect(json).toBe('{"client_id": "agent-finance-01", "note": "caf\\u00e9"}');
    expect(JSON.parse(json!)).toEqual({ client_id: 'agent-finance-01', note: 'café' });
    expect(await backend.getSecret('PADDED')).toBe('padded');
    expect(await backend.getSecret('dual-auth/agent-client-id')).toBe(OKTA_VALUES.AGENT_CLIENT_ID);
  });

  it('falls back to KV v1 when the mount is not KV v2', async () => {
    const backend = await createVaultBackend({ ...tokenEnv, DUAL_AUTH_VAULT_MOUNT: 'kv1' });
    expect(await backend.getSecret('KV1_ONLY')).toBe('from-kv-v1');
    expect(JSON.parse((await backend.getSecret('KV1_MAP'))!)).toEqual({ a: '1', b: '2' });
  });

  it('a missing required secret names its full path; a missing optional one is undefined', async () => {
    const backend = await createVaultBackend(tokenEnv);
    await expectBackendError(backend.getSecret('NOT_THERE'), 'vault', 'ERR_SECRET_MISSING', "Vault secret 'dual-auth/not-there' not found at mount 'secret'.");
    expect(await backend.getSecret('NOT_THERE', { required: false })).toBeUndefined();
  });

  it('denied access, a wrong token and a wrong AppRole secret give SecretsBackendError("vault")', async () => {
    const denied = await createVaultBackend({ ...tokenEnv, VAULT_TOKEN: bao.deniedToken });
    await expectBackendError(denied.getSecret('AGENT_CLIENT_SECRET'), 'vault', undefined, "Permission denied accessing Vault secret 'dual-auth/agent-client-secret'.");
    await expectBackendError(createVaultBackend({ ...tokenEnv, VAULT_TOKEN: 'hvs.not-a-token' }), 'vault', undefined, 'Vault authentication failed. Check credentials.');
    await expectBackendError(
      createVaultBackend({ VAULT_ADDR: bao.addr, VAULT_CACERT: servers.caFile, VAULT_ROLE_ID: bao.roleId, VAULT_SECRET_ID: 'wrong-secret-id' }),
      'vault',
      undefined,
      'Vault AppRole authentication failed',
    );
    await expectBackendError(getConfig({ secretsBackend: 'vault', env: { ...tokenEnv, VAULT_TOKEN: bao.deniedToken, DUAL_AUTH_VENDOR: 'okta' } }), 'vault');
  });

  it('needs credentials, VAULT_ADDR over HTTPS, and a trusted certificate', async () => {
    await expectBackendError(
      createVaultBackend({ VAULT_ADDR: bao.addr, VAULT_CACERT: servers.caFile }, { kubernetesTokenPath: '/nonexistent/token' }),
      'vault',
      'ERR_CONFIGURATION',
      'No Vault authentication credentials found.',
    );
    await expectBackendError(createVaultBackend({ VAULT_TOKEN: 'x' }), 'vault', 'ERR_CONFIGURATION', 'VAULT_ADDR environment variable is required');
    // Plain HTTP is taken on loopback only (test/secrets/plain-loopback.test.ts).
    await expectBackendError(createVaultBackend({ ...tokenEnv, VAULT_ADDR: bao.addr.replace('https://127.0.0.1', 'http://vault.example.com') }), 'vault', 'ERR_INSECURE_URL');
    // VAULT_SKIP_VERIFY is ignored; a CA file that is not the server's fails the TLS check
    // (NODE_EXTRA_CA_CERTS, which names the test CA here, is trusted too, so it is cleared for this case).
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      await expectBackendError(
        createVaultBackend({ ...tokenEnv, VAULT_CACERT: '/etc/ssl/certs/ca-certificates.crt', VAULT_SKIP_VERIFY: 'true' }),
        'vault',
        'ERR_NETWORK',
      );
    } finally {
      process.env.NODE_EXTRA_CA_CERTS = extra;
    }
  });

  it('honours an aborted signal', async () => {
    const backend = await createVaultBackend(tokenEnv);
    await expectBackendError(backend.getSecret('AGENT_CLIENT_ID', { signal: AbortSignal.abort() }), 'vault', 'ERR_ABORTED');
  });
});
