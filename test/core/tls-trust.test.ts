/**
 * Trusting a private CA (issue 10 item 17). NODE_EXTRA_CA_CERTS set after Node
 * started (`node --env-file=.env`, process.loadEnvFile, dotenv) is not in Node's
 * own trust store; the library reads it when it builds its TLS context. A
 * certificate that is not trusted keeps the reference's message and gets a
 * `hint` that says what to do (never to turn checks off).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HttpClient, HttpError, KeycloakAdapter, TokenRequestError } from '../../src/index.js';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
let server: TestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dual-auth-tls-'));
  server = await startTestServer((request, res) =>
    request.url.startsWith('/token')
      ? json(res, 200, { access_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', token_type: 'Bearer', expires_in: 300 })
      : json(res, 200, { ok: true }),
  );
  writeFileSync(join(dir, 'ca.pem'), server.caCert);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function callWithEnvFile(envFile: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    [`--env-file=${envFile}`, '--import', 'tsx', 'test/core/fixtures/call-with-env-ca.ts', server.url('/report'), server.url('/token')],
    { cwd: root, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

describe('NODE_EXTRA_CA_CERTS from an env file', () => {
  it('node --env-file=.env: the CA it names is trusted by API calls and token requests', async () => {
    writeFileSync(join(dir, 'trusting.env'), `NODE_EXTRA_CA_CERTS=${join(dir, 'ca.pem')}\n`);
    expect(await callWithEnvFile(join(dir, 'trusting.env'))).toEqual({ status: 200, token: 'issued' });
  });

  it('without it the same calls fail on the certificate, with the reference message', async () => {
    writeFileSync(join(dir, 'empty.env'), 'UNRELATED=1\n');
    const report = await callWithEnvFile(join(dir, 'empty.env'));
    expect(report.fetchError).toMatchObject({ code: 'ERR_NETWORK' });
    expect(report.tokenError).toEqual({ code: 'ERR_NETWORK', message: 'Network error connecting to Keycloak: SSLError' });
  });

  it('set before Node started, it still works (Node trusts it itself)', async () => {
    const report = await callWithEnvFile(join(dir, 'empty.env'), { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
    expect(report).toEqual({ status: 200, token: 'issued' });
  });
});

describe('an untrusted certificate gets a hint', () => {
  it('HttpError (kind tls) and the TokenRequestError that wraps it carry the same hint; messages unchanged', async () => {
    const http = new HttpClient({ retries: 0 });
    const failure = await http.request(server.url('/report')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpError);
    expect((failure as HttpError).kind).toBe('tls');
    const hint = (failure as HttpError).hint as string;
    expect(hint).toContain('NODE_EXTRA_CA_CERTS=/path/to/ca.pem');
    expect(hint).toContain('`ca` option');
    expect(hint).toContain('never turn certificate checks off');

    const adapter = new KeycloakAdapter({ tokenUrl: server.url('/token'), clientId: 'finance-agent', clientSecret: 'a-client-secret-of-32-characters-x' }, { retries: 0 });
    const error = await adapter.requestToken({ agentId: 'finance-agent', act: { sub: 'user_12345' }, scope: ['finance.read'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).message).toBe('Network error connecting to Keycloak: SSLError');
    expect((error as TokenRequestError).hint).toBe(hint);
  });

  it('a trusted certificate for another host name gets its own hint', async () => {
    const certificates = await createDevCertificates({ dnsNames: ['elsewhere.test'], ipAddresses: ['10.9.9.9'] });
    const other = createServer({ cert: certificates.cert, key: certificates.key }, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const http = new HttpClient({ retries: 0, ca: certificates.caCert });
      const failure = (await http.request(`https://127.0.0.1:${(other.address() as AddressInfo).port}/`).catch((error: unknown) => error)) as HttpError;
      expect(failure.kind).toBe('tls');
      expect(failure.message).toBe('HTTP request failed (tls): TLS verification failed (ERR_TLS_CERT_ALTNAME_INVALID)');
      expect(failure.hint).toContain('not issued for this host name');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
