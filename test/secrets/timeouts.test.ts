import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsBackend } from '../../src/secrets/aws.js';
import { createAzureBackend } from '../../src/secrets/azure.js';
import { createVaultBackend } from '../../src/secrets/vault.js';
import { expectBackendError } from './fixtures.js';

// A server on 127.0.0.1 that accepts connections and never answers: every backend must give up on time.
let server: Server;
let url: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('cloud backends time out against a silent server', () => {
  it('aws', async () => {
    const started = Date.now();
    const backend = await createAwsBackend({ AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }, { timeoutMs: 400 });
    await expectBackendError(backend.getSecret('AGENT_CLIENT_SECRET'), 'aws', 'ERR_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(8_000);
    await backend.close?.();
  });

  it('vault', async () => {
    const started = Date.now();
    await expectBackendError(createVaultBackend({ VAULT_ADDR: url, VAULT_TOKEN: 'x' }, { timeoutMs: 400 }), 'vault', 'ERR_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('azure', async () => {
    const started = Date.now();
    const backend = await createAzureBackend({ DUAL_AUTH_AZURE_VAULT_URL: url }, { timeoutMs: 400, credential: { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) } });
    await expectBackendError(backend.getSecret('AGENT_CLIENT_SECRET'), 'azure', 'ERR_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('an abort during the request stops the wait at once', async () => {
    const backend = await createAwsBackend({ AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }, { timeoutMs: 5_000 });
    const started = Date.now();
    await expectBackendError(backend.getSecret('AGENT_CLIENT_SECRET', { signal: AbortSignal.timeout(200) }), 'aws', 'ERR_ABORTED');
    expect(Date.now() - started).toBeLessThan(3_000);
    await backend.close?.();
  });
});
