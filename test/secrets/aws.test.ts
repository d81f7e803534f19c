import { Agent } from 'node:https';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { getConfig } from '../../src/index.js';
import { createAwsBackend } from '../../src/secrets/aws.js';
import { OKTA_VALUES, expectBackendError, unlessExists } from './fixtures.js';
import './servers.js';

const servers = inject('secretsServers');
const aws = servers.aws;
const readerEnv = {
  AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
  AWS_ACCESS_KEY_ID: aws.reader.accessKeyId,
  AWS_SECRET_ACCESS_KEY: aws.reader.secretAccessKey,
  DUAL_AUTH_AWS_REGION: aws.region,
};

beforeAll(async () => {
  const admin = new SecretsManagerClient({
    region: aws.region,
    endpoint: aws.endpoint,
    credentials: aws.admin,
    requestHandler: { httpsAgent: new Agent({ ca: servers.caCert }) },
  });
  // Made once per server: a second run of this file against the same moto (mutation testing runs it per mutant) finds them there.
  const put = (Name: string, value: { SecretString?: string; SecretBinary?: Uint8Array }) => admin.send(new CreateSecretCommand({ Name, ...value })).catch(unlessExists);
  for (const [key, value] of Object.entries(OKTA_VALUES)) await put(`dual-auth/${key}`, { SecretString: value });
  await put('dual-auth/JSON_SECRET', { SecretString: '{"client_id":"agent-finance-01","scopes":["finance.read"]}' });
  await put('dual-auth/BINARY_BASE64', { SecretBinary: Buffer.from(Buffer.from('binary-value-1').toString('base64')) });
  await put('dual-auth/BINARY_RAW', { SecretBinary: Buffer.from('raw-binary-value') });
  await put('dual-auth/PADDED', { SecretString: '  padded-value \n' });
  await put('dual-auth/EMPTY', { SecretString: '   ' });
  admin.destroy();
});

describe('aws backend against moto (HTTPS, IAM enforced)', () => {
  it('getConfig({ secretsBackend: "aws" }) returns what the env backend returns for the same values', async () => {
    const fromAws = await getConfig({ secretsBackend: 'aws', env: { ...readerEnv, DUAL_AUTH_VENDOR: 'okta' } });
    const fromEnv = await getConfig({ secretsBackend: 'env', env: { ...OKTA_VALUES, DUAL_AUTH_VENDOR: 'okta' } });
    expect(fromAws).toEqual(fromEnv);
    expect(fromAws.clientSecret).toBe(OKTA_VALUES.AGENT_CLIENT_SECRET);
  });

  it('honours AWS_ENDPOINT_URL as well, and keeps a key that already has the prefix', async () => {
    const { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint, ...rest } = readerEnv;
    const backend = await createAwsBackend({ ...rest, AWS_ENDPOINT_URL: endpoint });
    expect(backend.name).toBe('aws');
    expect(await backend.getSecret('dual-auth/AGENT_CLIENT_ID')).toBe(OKTA_VALUES.AGENT_CLIENT_ID);
    await backend.close?.();
  });

  it('a missing required secret names its full name; a missing optional one is undefined', async () => {
    const backend = await createAwsBackend(readerEnv);
    await expectBackendError(backend.getSecret('NOT_THERE'), 'aws', 'ERR_SECRET_MISSING', "AWS secret 'dual-auth/NOT_THERE' not found in region 'us-east-1'.");
    expect(await backend.getSecret('NOT_THERE', { required: false })).toBeUndefined();
    expect(await backend.getSecret('EMPTY', { required: false })).toBeUndefined();
    await expectBackendError(backend.getSecret('EMPTY'), 'aws', 'ERR_SECRET_MISSING', 'dual-auth/EMPTY');
    expect(await backend.getSecret('PADDED')).toBe('padded-value');
  });

  it('a JSON SecretString comes back as its text and parses', async () => {
    const backend = await createAwsBackend(readerEnv);
    expect(JSON.parse((await backend.getSecret('JSON_SECRET'))!)).toEqual({ client_id: 'agent-finance-01', scopes: ['finance.read'] });
  });

  it('decodes binary secrets: base64 text by default (as Python), raw UTF-8 on request', async () => {
    const base64 = await createAwsBackend(readerEnv);
    expect(await base64.getSecret('BINARY_BASE64')).toBe('binary-value-1');
    await expectBackendError(base64.getSecret('BINARY_RAW'), 'aws', 'ERR_SECRETS_BACKEND', 'not base64');
    const raw = await createAwsBackend({ ...readerEnv, DUAL_AUTH_AWS_BINARY_ENCODING: 'raw' });
    expect(await raw.getSecret('BINARY_RAW')).toBe('raw-binary-value');
  });

  it('denied access and wrong credentials give SecretsBackendError("aws") without the secret', async () => {
    const denied = await createAwsBackend({ ...readerEnv, AWS_ACCESS_KEY_ID: aws.denied.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.denied.secretAccessKey });
    await expectBackendError(denied.getSecret('AGENT_CLIENT_SECRET'), 'aws', undefined, "Access denied to AWS secret 'dual-auth/AGENT_CLIENT_SECRET'.");
    const wrong = await createAwsBackend({ ...readerEnv, AWS_SECRET_ACCESS_KEY: 'not-the-right-key' });
    await expectBackendError(wrong.getSecret('AGENT_CLIENT_SECRET'), 'aws');
    await expectBackendError(getConfig({ secretsBackend: 'aws', env: { ...readerEnv, AWS_SECRET_ACCESS_KEY: 'nope', DUAL_AUTH_VENDOR: 'okta' } }), 'aws');
  });

  it('refuses a plain-HTTP endpoint off loopback and honours an aborted signal', async () => {
    // Plain HTTP is taken on loopback only (test/secrets/plain-loopback.test.ts).
    await expectBackendError(createAwsBackend({ ...readerEnv, AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint.replace('https://127.0.0.1', 'http://moto.example.com') }), 'aws', 'ERR_INSECURE_URL');
    const backend = await createAwsBackend(readerEnv);
    await expectBackendError(backend.getSecret('AGENT_CLIENT_ID', { signal: AbortSignal.abort() }), 'aws', 'ERR_ABORTED');
  });
});
