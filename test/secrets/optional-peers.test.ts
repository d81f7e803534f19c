import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { awsSecretName, normaliseKey, prefixedSecretName, vaultSecretPath } from '../../src/secrets/names.js';
import { importOptional } from '../../src/secrets/optional-import.js';
import { expectBackendError } from './fixtures.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('cloud SDKs are optional peers, loaded only when their backend is chosen', () => {
  it('the package entry imports, and the env backend works, with every cloud SDK unresolvable', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', '--import', './test/secrets/fixtures/block-cloud-sdks.mjs', './test/secrets/fixtures/entry-without-sdks.ts'],
      { cwd: root, timeout: 60_000 },
    );
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(report.entryLoaded).toBe(true);
    expect(report.envVendor).toBe('keycloak');
    // Importing the entry asked for no SDK: the only attempts are the four backends' own.
    const attempts = stderr.split('\n').filter((l) => l.startsWith('BLOCKED-SDK ')).map((l) => l.slice('BLOCKED-SDK '.length));
    expect(attempts.sort()).toEqual(['@aws-sdk/client-secrets-manager', '@azure/keyvault-secrets', '@google-cloud/secret-manager', 'node-vault']);
    expect(report.results.aws).toEqual({
      code: 'ERR_BACKEND_UNAVAILABLE',
      backend: 'aws',
      message: 'AWS Secrets Manager backend requires @aws-sdk/client-secrets-manager. Install with: npm install @aws-sdk/client-secrets-manager',
    });
    expect(report.results.gcp.message).toContain('npm install @google-cloud/secret-manager');
    expect(report.results.azure.message).toContain('npm install @azure/identity @azure/keyvault-secrets');
    expect(report.results.vault.message).toContain('npm install node-vault');
    for (const type of ['gcp', 'azure', 'vault']) {
      expect(report.results[type].code).toBe('ERR_BACKEND_UNAVAILABLE');
      expect(report.results[type].backend).toBe(type);
    }
  });

  it('importOptional names the package when it is not installed', async () => {
    await expectBackendError(importOptional('@dual-auth/not-installed-anywhere', 'aws', 'Test backend'), 'aws', 'ERR_BACKEND_UNAVAILABLE', 'npm install @dual-auth/not-installed-anywhere');
  });
});

describe('secret names, as the Python reference builds them', () => {
  it('aws keeps the key and adds the prefix once', () => {
    expect(awsSecretName('dual-auth/', 'AGENT_CLIENT_SECRET')).toBe('dual-auth/AGENT_CLIENT_SECRET');
    expect(awsSecretName('dual-auth/', 'dual-auth/AGENT_CLIENT_SECRET')).toBe('dual-auth/AGENT_CLIENT_SECRET');
  });
  it('gcp/azure lower-case, turn _ into -, and add the prefix once', () => {
    expect(normaliseKey('AGENT_CLIENT_SECRET')).toBe('agent-client-secret');
    expect(prefixedSecretName('dual-auth-', 'AGENT_CLIENT_SECRET')).toBe('dual-auth-agent-client-secret');
    expect(prefixedSecretName('dual-auth-', 'DUAL_AUTH_VENDOR')).toBe('dual-auth-vendor');
    expect(prefixedSecretName('Prod-', 'API_SCOPE')).toBe('Prod-api-scope');
  });
  it('vault compares against the prefix without its trailing slash', () => {
    expect(vaultSecretPath('dual-auth/', 'AGENT_CLIENT_ID')).toBe('dual-auth/agent-client-id');
    // Python quirk kept for interop: 'dual-auth-vendor' starts with 'dual-auth', so no prefix is added.
    expect(vaultSecretPath('dual-auth/', 'DUAL_AUTH_VENDOR')).toBe('dual-auth-vendor');
    expect(vaultSecretPath('dual-auth/', 'dual-auth/x')).toBe('dual-auth/x');
  });
});
