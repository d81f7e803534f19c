/** Writes the test CA and server certificate (from createDevCertificates) to files for servers that read files. */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { DevCertificates } from '../../src/local-iam/certificates.js';
import { ensureDir, runDir } from './lib.js';

export interface CertificateFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function writeCertificateFiles(certs: DevCertificates, dir = runDir()): CertificateFiles {
  ensureDir(dir);
  const files = { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
  writeFileSync(files.caFile, certs.caCert);
  writeFileSync(files.certFile, certs.cert);
  writeFileSync(files.keyFile, certs.key, { mode: 0o600 });
  return files;
}

/** A small HTTPS request trusting only `ca`; used by the set-up code, never by the library. */
export async function httpsRequest(
  url: string,
  { method = 'GET', headers = {}, body, ca }: { method?: string; headers?: Record<string, string>; body?: string; ca: string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The certificates written by writeCertificateFiles to `dir`, read back. */
export function readCertificateFiles(dir: string): DevCertificates {
  return { caCert: readFileSync(join(dir, 'ca.pem'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8'), key: readFileSync(join(dir, 'server-key.pem'), 'utf8') };
}
