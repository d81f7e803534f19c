/**
 * `dual-auth keygen`: the application's RSA-2048 key pair that signs
 * out-of-session act JWTs (and Entra act assertions). The private key is
 * written with mode 0600, and created folders 0700; existing files are never
 * overwritten without --force, and a key is never written through a symlink.
 */
import { lstat, mkdir } from 'node:fs/promises';
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
  // Checked with lstat: existsSync follows symlinks and calls a dangling one "missing".
  for (const path of [privateKeyPath, publicKeyPath]) {
    const found = await lstat(path).catch(() => undefined);
    if (found?.isSymbolicLink()) {
      out.error(`keygen: ${path} is a symbolic link; a key is never written through one.`);
      out.error('  Fix: remove the link, or choose another folder with --out.');
      return 1;
    }
    if (found && !options.force) {
      out.error(`keygen: ${path} already exists.`);
      out.error('  Fix: choose another folder with --out, or replace the pair with --force.');
      return 1;
    }
  }
  const pair = await generateRsaPemKeyPair();
  // Folders made here are the owner's only, like the private key in them.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writePrivateKeyFile(privateKeyPath, pair.privateKeyPem, { overwrite: Boolean(options.force) });
  await writePrivateKeyFile(publicKeyPath, pair.publicKeyPem, { overwrite: Boolean(options.force), mode: 0o644 });
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
