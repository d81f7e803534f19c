/**
 * Step 7.2 of the guide, "Generate Application RSA Keys": the application's
 * RSA-2048 key pair that signs out-of-session act JWTs (and Entra ID act
 * assertions). The same as `openssl genrsa` + `openssl rsa -pubout`, or the
 * CLI's `npx dual-auth keygen`.
 *
 *   npx tsx examples/generate-keys.ts [folder]     (default: the working directory)
 *
 * Writes app-private-key.pem (PKCS#8, mode 0600) and app-public-key.pem (SPKI);
 * never overwrites existing files. Point APP_PRIVATE_KEY_PATH (application) and
 * APP_PUBLIC_KEY_PATH (agent) at them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const privatePath = resolve(dir, 'app-private-key.pem');
const publicPath = resolve(dir, 'app-public-key.pem');
for (const path of [privatePath, publicPath]) {
  if (existsSync(path)) {
    console.log(`✗ ${path} already exists; not overwritten`);
    process.exit(1);
  }
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicExponent: 0x10001,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
await mkdir(dir, { recursive: true });
// 'wx': fail rather than overwrite, even if a file appeared since the check above.
await writeFile(privatePath, privateKey, { mode: 0o600, flag: 'wx' });
await writeFile(publicPath, publicKey, { flag: 'wx' });
console.log(`✓ Keys generated: ${privatePath}, ${publicPath}`);
