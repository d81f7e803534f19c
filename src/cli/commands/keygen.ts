/**
 * `dual-auth keygen`: the application's key pair that signs out-of-session act
 * JWTs and act assertions: RSA-2048 for RS256 (the default, as the reference),
 * EC P-256 for ES256 or Ed25519 for EdDSA (`--alg`). The private key is
 * written with mode 0600, and created folders 0700; existing files are never
 * overwritten without --force, and a key is never written through a symlink.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';

import type { AppSigningAlgorithm } from '../../jwt/keys.js';
import { generateAppPemKeyPair, writePrivateKeyFile } from '../../local-iam/keys.js';
import type { CliIo } from '../io.js';
import { Printer } from '../io.js';

export interface KeygenOptions {
  out?: string;
  /** The signing algorithm the pair is for. Default is 'RS256'. */
  alg?: AppSigningAlgorithm;
  force?: boolean;
  json?: boolean;
}

export const PRIVATE_KEY_FILE = 'app-private-key.pem';
export const PUBLIC_KEY_FILE = 'app-public-key.pem';

const KEY_KINDS: Record<AppSigningAlgorithm, { label: string; details: Record<string, unknown> }> = {
  RS256: { label: 'RSA-2048 key pair (RS256)', details: { modulusLength: 2048 } },
  ES256: { label: 'EC P-256 key pair (ES256)', details: { namedCurve: 'P-256' } },
  EdDSA: { label: 'Ed25519 key pair (EdDSA)', details: { curve: 'Ed25519' } },
};

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
  const alg = options.alg ?? 'RS256';
  const pair = await generateAppPemKeyPair(alg);
  // Folders made here are the owner's only, like the private key in them.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writePrivateKeyFile(privateKeyPath, pair.privateKeyPem, { overwrite: Boolean(options.force) });
  await writePrivateKeyFile(publicKeyPath, pair.publicKeyPem, { overwrite: Boolean(options.force), mode: 0o644 });
  out.line(`${KEY_KINDS[alg].label} written:`);
  out.line(`  private key  ${privateKeyPath}  (mode 0600: keep it secret)`);
  out.line(`  public key   ${publicKeyPath}`);
  out.line('');
  out.line('Use it with:');
  if (alg === 'RS256') {
    out.line(`  APP_PRIVATE_KEY_PATH=${privateKeyPath}   (application: HybridSender, Entra act assertion)`);
    out.line(`  APP_PUBLIC_KEY_PATH=${publicKeyPath}    (agent: OutOfSessionTokenRequest; API: actAssertionKey)`);
  } else {
    // Python agents and Entra ID's reference act assertion verify RS256 only.
    out.line(`  application: new HybridSender({ privateKeyPem: '${privateKeyPath}', algorithm: '${alg}' })`);
    out.line(`  agent:       new OutOfSessionTokenRequest({ ..., appPublicKeyPath: '${publicKeyPath}', algorithms: ['${alg}'] })`);
    out.line(`  API:         actAssertionKey: the public key (or actAssertionJwksUri: where the application publishes sender.publicJwks())`);
  }
  out.result({ ok: true, algorithm: alg, ...KEY_KINDS[alg].details, privateKeyPath, publicKeyPath });
  return 0;
}
