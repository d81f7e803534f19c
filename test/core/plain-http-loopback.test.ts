/**
 * Plain HTTP to a loopback address (issue 10 item 20): local emulators of a
 * secrets store (LocalStack, moto, `vault server -dev`) serve http:// on
 * 127.0.0.1 by default. Every backend endpoint accepts http:// there, with a
 * warning in the log, and refuses it anywhere else. The real servers are in
 * test/secrets/plain-loopback.test.ts; this file holds the rule itself.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HttpClient, SecretsBackendError } from '../../src/index.js';
import { endpointKind, isLoopbackHost } from '../../src/http/loopback.js';
import { createAwsBackend } from '../../src/secrets/aws.js';
import { createAzureBackend } from '../../src/secrets/azure.js';
import { createGcpBackend } from '../../src/secrets/gcp.js';
import { createVaultBackend } from '../../src/secrets/vault.js';
import { auditLogger } from '../helpers/log-audit.js';

describe('the URL rule', () => {
  it.each([
    ['https://secretsmanager.example.com', 'https'],
    ['https://10.0.0.5:8200', 'https'],
    ['http://127.0.0.1:5000', 'loopback-http'],
    ['http://127.255.3.4', 'loopback-http'],
    ['http://127.1:4566', 'loopback-http'], // URL parsing normalises it to 127.0.0.1
    ['http://localhost:8200', 'loopback-http'],
    ['http://LOCALHOST:8200', 'loopback-http'],
    ['http://[::1]:8200', 'loopback-http'],
    ['http://[0:0:0:0:0:0:0:1]:8200', 'loopback-http'],
    ['http://10.0.0.5:8200', 'refused'],
    ['http://128.0.0.1', 'refused'],
    ['http://127.0.0.1.nip.io', 'refused'],
    ['http://localhost.example.com', 'refused'],
    ['http://vault.localhost', 'refused'],
    ['http://[::ffff:127.0.0.1]', 'refused'],
    ['http://0.0.0.0:8200', 'refused'],
    ['ftp://127.0.0.1', 'refused'],
    ['127.0.0.1:8200', 'refused'],
    ['not a url', 'refused'],
  ])('%s: %s', (url, kind) => {
    expect(endpointKind(url)).toBe(kind);
  });

  it('isLoopbackHost takes hosts with or without IPv6 brackets', () => {
    expect(['localhost', '127.0.0.1', '127.9.9.9', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '::2', 'localhost.', 'example.com', '127.0.0.1.example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('HttpClient allowHttpToLoopback', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  it('off (the default): http:// is refused, loopback included', async () => {
    await expect(new HttpClient().request(`${origin}/`)).rejects.toMatchObject({ code: 'ERR_INSECURE_URL' });
  });

  it('on: http:// to loopback is used; to any other host still refused', async () => {
    const http = new HttpClient({ allowHttpToLoopback: true, retries: 0 });
    expect((await http.request(`${origin}/`)).status).toBe(200);
    await expect(http.request('http://10.0.0.5:8200/v1/sys/health')).rejects.toMatchObject({ code: 'ERR_INSECURE_URL' });
  });
});

describe('each backend applies the rule to its endpoint', () => {
  it('AWS: AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL http:// on loopback is taken, with a warning; elsewhere refused', async () => {
    for (const variable of ['AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL']) {
      const logger = auditLogger();
      const backend = await createAwsBackend({ [variable]: 'http://127.0.0.1:5000', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }, { logger });
      expect(backend.name).toBe('aws');
      expect(logger.lines).toEqual([
        `warn {"event":"secrets_plaintext_loopback","backend":"aws","variable":"${variable}"} ${variable} is a plain-text endpoint on a loopback address: for a local emulator only, never in production`,
      ]);
      await backend.close?.();
      const refused = await createAwsBackend({ [variable]: 'http://secretsmanager.example.com' }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SecretsBackendError);
      expect(refused).toMatchObject({ code: 'ERR_INSECURE_URL', message: `${variable} must use HTTPS. Example: https://secretsmanager.example.com` });
      expect((refused as SecretsBackendError).hint).toContain('loopback');
    }
  });

  it('Vault: a VAULT_ADDR http:// elsewhere than loopback is refused', async () => {
    await expect(createVaultBackend({ VAULT_ADDR: 'http://vault.example.com:8200', VAULT_TOKEN: 'x' })).rejects.toMatchObject({
      code: 'ERR_INSECURE_URL',
      message: 'VAULT_ADDR must use HTTPS. Example: https://vault.example.com:8200',
    });
  });

  it('GCP: plaintext gRPC only to a loopback DUAL_AUTH_GCP_ENDPOINT, with a warning', async () => {
    const logger = auditLogger();
    const backend = await createGcpBackend({ DUAL_AUTH_GCP_PROJECT: 'p', DUAL_AUTH_GCP_ENDPOINT: '127.0.0.1:8085', DUAL_AUTH_GCP_PLAINTEXT: 'true' }, { logger });
    await backend.close?.();
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('"event":"secrets_plaintext_loopback","backend":"gcp","variable":"DUAL_AUTH_GCP_ENDPOINT"');
    await expect(
      createGcpBackend({ DUAL_AUTH_GCP_PROJECT: 'p', DUAL_AUTH_GCP_ENDPOINT: 'secretmanager.example.com:443', DUAL_AUTH_GCP_PLAINTEXT: 'true' }),
    ).rejects.toMatchObject({ code: 'ERR_INSECURE_URL' });
  });

  it('Azure: refused also on loopback, and says why (the Azure SDK sends its bearer token over HTTPS only)', async () => {
    const loopback = await createAzureBackend({ DUAL_AUTH_AZURE_VAULT_URL: 'http://127.0.0.1:8443' }).catch((error: unknown) => error);
    expect(loopback).toMatchObject({
      code: 'ERR_INSECURE_URL',
      message: 'DUAL_AUTH_AZURE_VAULT_URL must use HTTPS, also on a loopback address: the Azure SDK sends its bearer token over HTTPS only.',
    });
    await expect(createAzureBackend({ DUAL_AUTH_AZURE_VAULT_URL: 'http://my-vault.vault.azure.net' })).rejects.toMatchObject({
      code: 'ERR_INSECURE_URL',
      message: 'DUAL_AUTH_AZURE_VAULT_URL must use HTTPS. Example: https://my-vault.vault.azure.net',
    });
  });
});
