import { describe, inject, it } from 'vitest';
import { getConfig } from '../../src/index.js';
import { createAzureBackend } from '../../src/secrets/azure.js';
import { expectBackendError } from './fixtures.js';
import './servers.js';

// Its own file (own worker): DefaultAzureCredential caches tokens per process.
const azure = inject('secretsServers').azure;
const env = { DUAL_AUTH_AZURE_VAULT_URL: azure.vaultUrl, DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true' };

describe('azure backend with wrong credentials (Key Vault stand-in)', () => {
  it('a managed identity the token endpoint rejects gives SecretsBackendError("azure")', async () => {
    process.env.IDENTITY_ENDPOINT = azure.identityEndpoint;
    process.env.IDENTITY_HEADER = 'not-a-known-identity';
    const backend = await createAzureBackend(env);
    await expectBackendError(backend.getSecret('AGENT_CLIENT_SECRET'), 'azure', undefined, "Azure authentication failed accessing secret 'dual-auth-agent-client-secret'.");
    await expectBackendError(getConfig({ secretsBackend: 'azure', env: { ...env, DUAL_AUTH_VENDOR: 'okta' } }), 'azure');
  });
});
