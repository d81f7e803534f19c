/**
 * Key material of the local IAM: the RS256 signing key of the provider (a JWK
 * for oidc-provider's keystore) and the application's key pair that signs act
 * JWTs and Entra act assertions (PEM files, private key mode 0600).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, lstat, rename, rm, writeFile } from 'node:fs/promises';
import { DualAuthError } from '../errors.js';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';

export interface PemKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** An RSA-2048 key pair as PEM (PKCS#8 private, SPKI public). */
export async function generateRsaPemKeyPair(): Promise<PemKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

/** A private RS256 signing JWK with a kid, for oidc-provider's `jwks` setting. */
export async function generateSigningJwk(): Promise<Record<string, unknown>> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/** A client secret long enough for HS256 (43 URL-safe characters = 32 random bytes). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Writes a private key readable by the owner only. */
export async function writePrivateKeyFile(path: string, pem: string, options: { overwrite?: boolean } = {}): Promise<void> {
  // The key goes to a new file created 0600 (never into an existing, possibly readable one,
  // nor through a symlink), then takes its place in one rename.
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    await chmod(temporary, 0o600); // umask-proof
    if (!options.overwrite && (await exists(path))) throw new DualAuthError(`${path} already exists`, 'ERR_INVALID_ARGUMENT');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
