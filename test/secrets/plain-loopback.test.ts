/**
 * Plain HTTP to a loopback address (issue 10 item 20), against real emulators as they
 * run by default: moto's server (what LocalStack also is) and `bao server -dev`, both
 * http:// on 127.0.0.1. The configuration loads through them, and the log says that
 * the endpoint is plain text. The URL rule itself: test/core/plain-http-loopback.test.ts.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, inject, it } from 'vitest';

import { getConfig } from '../../src/index.js';
import { normaliseKey } from '../../src/secrets/names.js';
import { auditLogger } from '../helpers/log-audit.js';
import { OKTA_VALUES, expectBackendError, unlessExists } from './fixtures.js';
import './servers.js';

const { plainLoopback } = inject('secretsServers');
// moto without IAM enforcement takes any credentials.
const awsEnv = { AWS_ENDPOINT_URL_SECRETS_MANAGER: plainLoopback.awsEndpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', DUAL_AUTH_AWS_REGION: 'us-east-1' };
const vaultEnv = { VAULT_ADDR: plainLoopback.vaultAddr, VAULT_TOKEN: plainLoopback.vaultRootToken };

beforeAll(async () => {
  const aws = new SecretsManagerClient({ region: 'us-east-1', endpoint: plainLoopback.awsEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  for (const [key, value] of Object.entries(OKTA_VALUES)) await aws.send(new CreateSecretCommand({ Name: `dual-auth/${key}`, SecretString: value })).catch(unlessExists);
  aws.destroy();
  for (const [key, value] of Object.entries(OKTA_VALUES)) {
    const res = await fetch(`${plainLoopback.vaultAddr}/v1/secret/data/dual-auth/${normaliseKey(key)}`, {
      method: 'POST',
      headers: { 'x-vault-token': plainLoopback.vaultRootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { value } }),
    });
    if (res.status >= 300) throw new Error(`bao -dev write ${key}: HTTP ${res.status}`);
  }
});

const expected = () => getConfig({ secretsBackend: 'env', env: { ...OKTA_VALUES, DUAL_AUTH_VENDOR: 'okta' } });

describe.each([
  ['aws', 'moto (plain HTTP)', awsEnv, 'AWS_ENDPOINT_URL_SECRETS_MANAGER'],
  ['vault', 'bao server -dev (plain HTTP)', vaultEnv, 'VAULT_ADDR'],
] as const)('%s backend against %s', (backend, _server, env, variable) => {
  it('loads the configuration over http:// on 127.0.0.1, with a warning in the log', async () => {
    const logger = auditLogger();
    const config = await getConfig({ secretsBackend: backend, env: { ...env, DUAL_AUTH_VENDOR: 'okta' }, logger });
    expect(config).toEqual(await expected());
    expect(logger.lines.filter((line) => line.startsWith('warn'))).toEqual([
      `warn {"event":"secrets_plaintext_loopback","backend":"${backend}","variable":"${variable}"} ${variable} is a plain-text endpoint on a loopback address: for a local emulator only, never in production`,
    ]);
  });

  it('the same server named by a non-loopback http:// address is refused before any request', async () => {
    const elsewhere = (env[variable as keyof typeof env] as string).replace('127.0.0.1', 'emulator.example.com');
    await expectBackendError(getConfig({ secretsBackend: backend, env: { ...env, [variable]: elsewhere, DUAL_AUTH_VENDOR: 'okta' } }), backend, 'ERR_INSECURE_URL', 'must use HTTPS');
  });
});
