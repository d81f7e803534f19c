/**
 * Key material of the local IAM: the RS256 signing key of the provider (a JWK
 * for oidc-provider's keystore) and the application's key pair that signs act
 * JWTs and Entra act assertions (PEM files, private key mode 0600).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import { DualAuthError } from '../errors.js';
import type { AppSigningAlgorithm } from '../jwt/keys.js';

export interface PemKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** An RSA-2048 key pair as PEM (PKCS#8 private, SPKI public). */
export async function generateRsaPemKeyPair(): Promise<PemKeyPair> {
  return generateAppPemKeyPair('RS256');
}

/** An application key pair for `alg` as PEM (PKCS#8 private, SPKI public): RSA-2048, EC P-256 or Ed25519. */
export async function generateAppPemKeyPair(alg: AppSigningAlgorithm): Promise<PemKeyPair> {
  // jose is loaded when keys are made, not when dual-auth/local-iam is imported.
  const { exportPKCS8, exportSPKI, generateKeyPair } = await import('jose');
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'RS256' ? { modulusLength: 2048, extractable: true } : { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

/** A private RS256 signing JWK with a kid, for oidc-provider's `jwks` setting. */
export async function generateSigningJwk(): Promise<Record<string, unknown>> {
  const { exportJWK, generateKeyPair } = await import('jose');
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

/** A client secret long enough for HS256 (43 URL-safe characters = 32 random bytes). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

// O_NOFOLLOW where the platform has it (not on Windows): O_EXCL alone already refuses a final symlink.
const CREATE_NEW = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);

export interface WriteKeyFileOptions {
  /** Replace an existing regular file (never a symlink). Default is false. */
  overwrite?: boolean;
  /** File mode. Default is 0o600 (owner only), whatever the umask. */
  mode?: number;
}

/**
 * Writes a key (or another secret file) readable by the owner only. The file is always a new
 * one, created with exclusive create: never an existing, possibly readable file, and never
 * through a symlink (a dangling symlink planted in the folder would send the key elsewhere).
 * With `overwrite`, the new file takes the old one's place in one rename.
 */
export async function writePrivateKeyFile(path: string, pem: string, options: WriteKeyFileOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  await refuseSymlink(path);
  if (!options.overwrite) {
    await writeNewFile(path, pem, mode);
    return;
  }
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeNewFile(temporary, pem, mode);
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Refuses a path that is a symbolic link (dangling or not). */
export async function refuseSymlink(path: string): Promise<void> {
  let isLink = false;
  try {
    isLink = (await lstat(path)).isSymbolicLink();
  } catch {
    return; // nothing there
  }
  if (isLink) throw new DualAuthError(`${path} is a symbolic link; refusing to write a key through it`, 'ERR_INVALID_ARGUMENT');
}

async function writeNewFile(path: string, content: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(path, CREATE_NEW, mode);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EEXIST') throw new DualAuthError(`${path} already exists`, 'ERR_INVALID_ARGUMENT', { cause: error });
    if (code === 'ELOOP') throw new DualAuthError(`${path} is a symbolic link; refusing to write a key through it`, 'ERR_INVALID_ARGUMENT', { cause: error });
    throw error;
  }
  try {
    await handle.chmod(mode); // umask-proof
    await handle.writeFile(content);
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
}
