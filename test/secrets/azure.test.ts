import { SecretClient } from '@azure/keyvault-secrets';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { getConfig } from '../../src/index.js';
import { createAzureBackend } from '../../src/secrets/azure.js';
import { standInAdminCredential } from './azure-credential.js';
import { OKTA_VALUES, expectBackendError } from './fixtures.js';
import './servers.js';

// Against the Azure Key Vault STAND-IN (scripts/secrets/azure-stand-in.ts), through the official
// SecretClient and the library's DefaultAzureCredential (managed identity: IDENTITY_ENDPOINT + IDENTITY_HEADER).
const servers = inject('secretsServers');
const azure = servers.azure;
const env = { DUAL_AUTH_AZURE_VAULT_URL: azure.vaultUrl, DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true' };

beforeAll(async () => {
  // DefaultAzureCredential reads these from process.env (this worker only).
  process.env.IDENTITY_ENDPOINT = azure.identityEndpoint;
  process.env.IDENTITY_HEADER = azure.headers.reader;
  const admin = new SecretClient(azure.vaultUrl, standInAdminCredential(azure.identityEndpoint, azure.headers.admin, servers.caCert), {
    disableChallengeResourceVerification: true,
  });
  for (const [key, value] of Object.entries(OKTA_VALUES)) await admin.setSecret(`dual-auth-${key.toLowerCase().replace(/_/g, '-')}`, value);
  await admin.setSecret('dual-auth-json-secret', '{"client_id":"agent-finance-01"}');
  await admin.setSecret('dual-auth-locked', 'locked-secret-value-123', { tags: { access: 'denied' } });
});

describe('azure backend against the Key Vault stand-in (HTTPS, official SecretClient + DefaultAzureCredential)', () => {
  it('getConfig({ secretsBackend: "azure" }) returns what the env backend returns', async () => {
    const fromAzure = await getConfig({ secretsBackend: 'azure', env: { ...env, DUAL_AUTH_VENDOR: 'okta' } });
    const fromEnv = await getConfig({ secretsBackend: 'env', env: { ...OKTA_VALUES, DUAL_AUTH_VENDOR: 'okta' } });
    expect(fromAzure).toEqual(fromEnv);
  });

  it('a missing required secret names its full name; a missing optional one is undefined; JSON parses', async () => {
    const backend = await createAzureBackend(env);
    expect(backend.name).toBe('azure');
    await expectBackendError(backend.getSecret('NOT_THERE'), 'azure', 'ERR_SECRET_MISSING', "Azure Key Vault secret 'dual-auth-not-there' not found.");
    expect(await backend.getSecret('NOT_THERE', { required: false })).toBeUndefined();
    expect(JSON.parse((await backend.getSecret('JSON_SECRET'))!)).toEqual({ client_id: 'agent-finance-01' });
    expect(await backend.getSecret('dual-auth-agent-client-id')).toBe(OKTA_VALUES.AGENT_CLIENT_ID);
  });

  it('denied access gives SecretsBackendError("azure") without the secret', async () => {
    const backend = await createAzureBackend(env);
    await expectBackendError(backend.getSecret('LOCKED'), 'azure', undefined, "access to secret 'dual-auth-locked' is forbidden");
  });

  it('without the challenge switch, the SDK refuses a vault outside the token resource domain', async () => {
    const backend = await createAzureBackend({ DUAL_AUTH_AZURE_VAULT_URL: azure.vaultUrl });
    await expectBackendError(backend.getSecret('AGENT_CLIENT_ID'), 'azure', 'ERR_SECRETS_BACKEND', 'DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION');
  });

  it('needs an HTTPS vault URL', async () => {
    await expectBackendError(createAzureBackend({}), 'azure', 'ERR_CONFIGURATION', 'DUAL_AUTH_AZURE_VAULT_URL environment variable is required');
    await expectBackendError(createAzureBackend({ DUAL_AUTH_AZURE_VAULT_URL: azure.vaultUrl.replace('https:', 'http:') }), 'azure', 'ERR_INSECURE_URL');
  });

  it('honours an aborted signal', async () => {
    const backend = await createAzureBackend(env);
    await expectBackendError(backend.getSecret('AGENT_CLIENT_ID', { signal: AbortSignal.abort() }), 'azure', 'ERR_ABORTED');
  });
});
