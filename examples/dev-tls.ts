/**
 * Makes a local CA and a server certificate for 127.0.0.1 / localhost so the
 * example servers can speak HTTPS, and records them in `.env`:
 *
 *   TLS_CERT_PATH, TLS_KEY_PATH   the example servers' certificate and key
 *   NODE_EXTRA_CA_CERTS           a bundle: this CA + the CA .env named before (e.g. the local IAM's)
 *
 *   npx tsx examples/dev-tls.ts            (after `npm run dev-iam`, or with your real IAM's .env)
 *
 * Files go to .dual-auth/tls/ (git-ignored). Re-run it after restarting
 * dev-iam: the local IAM makes a new CA on every start. For development only;
 * in production the servers use certificates from your PKI.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { createDevCertificates } from '../src/local-iam/certificates.js';

const envFile = resolve(process.env.ENV_FILE ?? '.env');
const dir = resolve('.dual-auth', 'tls');

const text = existsSync(envFile) ? await readFile(envFile, 'utf8') : '';
const current = parseEnv(text);
const bundlePath = resolve(dir, 'ca-bundle.pem');

// The CA that .env already trusts (not our own bundle from an earlier run).
let previousCa = '';
const previousPath = current.NODE_EXTRA_CA_CERTS;
if (previousPath && resolve(previousPath) !== bundlePath && existsSync(previousPath)) previousCa = await readFile(previousPath, 'utf8');
else if (previousPath === bundlePath && existsSync(resolve(dir, 'upstream-ca.pem'))) previousCa = await readFile(resolve(dir, 'upstream-ca.pem'), 'utf8');

const certificates = await createDevCertificates({ commonName: 'dual-auth examples CA', days: 7 });
await mkdir(dir, { recursive: true, mode: 0o700 });
const certPath = resolve(dir, 'server.pem');
const keyPath = resolve(dir, 'server-key.pem');
await writeFile(resolve(dir, 'ca.pem'), certificates.caCert);
await writeFile(certPath, certificates.cert);
await writeFile(keyPath, certificates.key, { mode: 0o600 });
if (previousCa) await writeFile(resolve(dir, 'upstream-ca.pem'), previousCa);
await writeFile(bundlePath, `${certificates.caCert.trim()}\n${previousCa.trim()}\n`);

const updates: Record<string, string> = { TLS_CERT_PATH: certPath, TLS_KEY_PATH: keyPath, NODE_EXTRA_CA_CERTS: bundlePath };
const kept = text.split('\n').filter((line) => !Object.keys(updates).some((key) => line.startsWith(`${key}=`)));
while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
const lines = [...kept, '# Added by examples/dev-tls.ts', ...Object.entries(updates).map(([key, value]) => `${key}=${value}`), ''];
await writeFile(envFile, lines.join('\n'), { mode: 0o600 });
await chmod(envFile, 0o600);

console.log(`Server certificate for localhost / 127.0.0.1: ${certPath}`);
console.log(`Trusted CA bundle (examples CA${previousCa ? ' + the CA .env named before' : ''}): ${bundlePath}`);
console.log(`Updated ${envFile}: TLS_CERT_PATH, TLS_KEY_PATH, NODE_EXTRA_CA_CERTS`);
console.log(`curl needs the same CA: curl --cacert ${bundlePath} https://127.0.0.1:5000/health`);
