/**
 * `dual-auth keygen`: the application's RSA-2048 key pair that signs
 * out-of-session act JWTs (and Entra act assertions). The private key is
 * written with mode 0600; existing files are never overwritten without --force.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { generateRsaPemKeyPair, writePrivateKeyFile } from '../../local-iam/keys.js';
import type { CliIo } from '../io.js';
import { Printer } from '../io.js';

export interface KeygenOptions {
  out?: string;
  force?: boolean;
  json?: boolean;
}

export const PRIVATE_KEY_FILE = 'app-private-key.pem';
export const PUBLIC_KEY_FILE = 'app-public-key.pem';

export async function keygenCommand(options: KeygenOptions, io: CliIo): Promise<number> {
  const out = new Printer(io, options.json === true);
  const dir = resolve(io.cwd, options.out ?? '.');
  const privateKeyPath = resolve(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = resolve(dir, PUBLIC_KEY_FILE);
  if (!options.force && (existsSync(privateKeyPath) || existsSync(publicKeyPath))) {
    out.error(`keygen: ${existsSync(privateKeyPath) ? privateKeyPath : publicKeyPath} already exists.`);
    out.error('  Fix: choose another folder with --out, or replace the pair with --force.');
    return 1;
  }
  const pair = await generateRsaPemKeyPair();
  await mkdir(dir, { recursive: true });
  await writePrivateKeyFile(privateKeyPath, pair.privateKeyPem, { overwrite: Boolean(options.force) });
  await writeFile(publicKeyPath, pair.publicKeyPem, { mode: 0o644 });
  out.line('RSA-2048 key pair written:');
  out.line(`  private key  ${privateKeyPath}  (mode 0600: keep it secret)`);
  out.line(`  public key   ${publicKeyPath}`);
  out.line('');
  out.line('Use it with:');
  out.line(`  APP_PRIVATE_KEY_PATH=${privateKeyPath}   (application: HybridSender, Entra act assertion)`);
  out.line(`  APP_PUBLIC_KEY_PATH=${publicKeyPath}    (agent: OutOfSessionTokenRequest)`);
  out.result({ ok: true, algorithm: 'RS256', modulusLength: 2048, privateKeyPath, publicKeyPath });
  return 0;
}
