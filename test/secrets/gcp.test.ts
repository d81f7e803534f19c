import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getConfig } from '../../src/index.js';
import { createGcpBackend } from '../../src/secrets/gcp.js';
import { OKTA_VALUES, expectBackendError } from './fixtures.js';
import './servers.js';

// Against the GCP Secret Manager STAND-IN (scripts/secrets/gcp-stand-in.ts), through the official client.
const servers = inject('secretsServers');
const PROJECT = 'dual-auth-test';
const env = { DUAL_AUTH_GCP_PROJECT: PROJECT, DUAL_AUTH_GCP_ENDPOINT: servers.gcp.endpoint, DUAL_AUTH_GCP_PLAINTEXT: 'true' };
const [host, port] = servers.gcp.endpoint.split(':') as [string, string];
const admin = new SecretManagerServiceClient({ apiEndpoint: host, port: Number(port), sslCreds: grpc.credentials.createInsecure(), universeDomain: 'googleapis.com' });

/** Made once per server: a second run of this file against the same stand-in (mutation testing runs it per mutant) finds it there. */
async function put(secretId: string, value: string, labels: Record<string, string> = {}): Promise<void> {
  try {
    await admin.createSecret({ parent: `projects/${PROJECT}`, secretId, secret: { labels, replication: { automatic: {} } } });
  } catch (error) {
    if ((error as { code?: unknown }).code === grpc.status.ALREADY_EXISTS) return;
    throw error;
  }
  await admin.addSecretVersion({ parent: `projects/${PROJECT}/secrets/${secretId}`, payload: { data: Buffer.from(value) } });
}

beforeAll(async () => {
  for (const [key, value] of Object.entries(OKTA_VALUES)) await put(`dual-auth-${key.toLowerCase().replace(/_/g, '-')}`, value);
  await put('dual-auth-json-secret', '{"client_id":"agent-finance-01"}');
  await put('dual-auth-locked', 'locked-secret-value-123', { access: 'denied' });
  await put('custom-agent-client-id', 'custom-prefix-value');
});
afterAll(() => admin.close());

describe('gcp backend against the Secret Manager stand-in (gRPC, official client)', () => {
  it('getConfig({ secretsBackend: "gcp" }) returns what the env backend returns', async () => {
    const fromGcp = await getConfig({ secretsBackend: 'gcp', env: { ...env, DUAL_AUTH_VENDOR: 'okta' } });
    const fromEnv = await getConfig({ secretsBackend: 'env', env: { ...OKTA_VALUES, DUAL_AUTH_VENDOR: 'okta' } });
    expect(fromGcp).toEqual(fromEnv);
  });

  it('normalises keys behind the prefix (DUAL_AUTH_GCP_SECRET_PREFIX)', async () => {
    const backend = await createGcpBackend({ ...env, DUAL_AUTH_GCP_SECRET_PREFIX: 'custom-' });
    expect(backend.name).toBe('gcp');
    expect(await backend.getSecret('AGENT_CLIENT_ID')).toBe('custom-prefix-value');
    await backend.close?.();
  });

  it('a missing required secret names its full name; a missing optional one is undefined; JSON parses', async () => {
    const backend = await createGcpBackend(env);
    await expectBackendError(backend.getSecret('NOT_THERE'), 'gcp', 'ERR_SECRET_MISSING', `GCP secret 'dual-auth-not-there' not found in project '${PROJECT}'.`);
    expect(await backend.getSecret('NOT_THERE', { required: false })).toBeUndefined();
    expect(JSON.parse((await backend.getSecret('JSON_SECRET'))!)).toEqual({ client_id: 'agent-finance-01' });
    await backend.close?.();
  });

  it('denied access gives SecretsBackendError("gcp") without the secret', async () => {
    const backend = await createGcpBackend(env);
    await expectBackendError(backend.getSecret('LOCKED'), 'gcp', undefined, "Permission denied accessing GCP secret 'dual-auth-locked'.");
    await backend.close?.();
  });

  it('needs a project; plaintext only towards a loopback emulator endpoint', async () => {
    await expectBackendError(createGcpBackend({ ...env, DUAL_AUTH_GCP_PROJECT: ' ' }), 'gcp', 'ERR_CONFIGURATION', 'DUAL_AUTH_GCP_PROJECT environment variable is required');
    await expectBackendError(createGcpBackend({ ...env, DUAL_AUTH_GCP_ENDPOINT: 'secretmanager.example.com:443' }), 'gcp', 'ERR_INSECURE_URL');
    await expectBackendError(createGcpBackend({ DUAL_AUTH_GCP_PROJECT: PROJECT, DUAL_AUTH_GCP_PLAINTEXT: 'true' }), 'gcp', 'ERR_INSECURE_URL');
  });

  it('honours an aborted signal', async () => {
    const backend = await createGcpBackend(env);
    await expectBackendError(backend.getSecret('AGENT_CLIENT_ID', { signal: AbortSignal.abort() }), 'gcp', 'ERR_ABORTED');
    await backend.close?.();
  });
});
