/**
 * Key loading for the JWTs this package signs and verifies. Error messages name
 * the Python exception class only (as the reference), never the key or its content;
 * a KeyLoadError adds the file's path (not a secret) as `path` and in its `hint`.
 */
import { createPrivateKey, createSecretKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KeyLoadError } from '../errors.js';

/** The HS256 key of client_secret_jwt: the client secret's UTF-8 bytes, as PyJWT uses them. */
export function clientSecretKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** The asymmetric algorithms an application key may sign act JWTs and act assertions with. */
export type AppSigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
export const APP_SIGNING_ALGORITHMS: readonly AppSigningAlgorithm[] = Object.freeze(['RS256', 'ES256', 'EdDSA']);

/** True when an asymmetric key (public or private) is of the type `alg` signs with: RSA, EC P-256, Ed25519. */
export function keyFitsAlgorithm(key: KeyObject, alg: AppSigningAlgorithm): boolean {
  switch (alg) {
    case 'RS256':
      return key.asymmetricKeyType === 'rsa';
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
  }
}

/** The algorithm an application key signs with, from its type; undefined for any other key. */
export function algorithmForKey(key: KeyObject): AppSigningAlgorithm | undefined {
  return APP_SIGNING_ALGORITHMS.find((alg) => keyFitsAlgorithm(key, alg));
}

/** RSA keys under this many bits are refused, as jose refuses them (RFC 7518 §3.3 and §3.5: 2048 bits or larger). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** The modulus size of an RSA or RSA-PSS key when it is under 2048 bits; undefined for a large enough or a non-RSA key. */
export function smallRsaModulus(key: KeyObject | { algorithm?: unknown }): number | undefined {
  const bits =
    key instanceof KeyObject
      ? key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss'
        ? key.asymmetricKeyDetails?.modulusLength
        : undefined
      : (key.algorithm as { modulusLength?: number } | undefined)?.modulusLength; // a WebCrypto CryptoKey
  return bits !== undefined && bits < MIN_RSA_MODULUS_BITS ? bits : undefined;
}

/** The message for a key refused by its size (no key material in it). */
export function smallRsaKeyMessage(what: string, bits: number): string {
  return `${what}: RSA keys must be ${MIN_RSA_MODULUS_BITS} bits or larger (this one has ${bits})`;
}

/** Loads a PEM private key from text or a path; RSA keys under 2048 bits are refused. Errors name the failure class only. */
export function loadPrivateKey(source: string | KeyObject): KeyObject {
  const path = keyPathOf(source);
  let key: KeyObject;
  if (typeof source !== 'string') {
    key = source;
  } else {
    const pem = path === undefined ? source : readKeyFile(path, 'private');
    try {
      key = createPrivateKey(pem);
    } catch (error) {
      throw keyLoadError('private', 'ValueError', path, { cause: error });
    }
  }
  requireLargeEnoughKey(key, 'private', path);
  return key;
}

/** Throws the KeyLoadError of a key refused by its size: an RSA key under 2048 bits. */
export function requireLargeEnoughKey(key: KeyObject, kind: 'private' | 'public', path: string | undefined): void {
  const bits = smallRsaModulus(key);
  if (bits === undefined) return;
  throw new KeyLoadError(smallRsaKeyMessage(`Cannot load ${kind} key`, bits), {
    ...(path === undefined ? {} : { path }),
    hint: `${path === undefined ? 'The key' : path} is a ${bits}-bit RSA key: use one of 2048 bits or more (the dual-auth keygen command makes one).`,
  });
}

/** An RSA private key of 2048 bits or more for RS256 (act JWTs, act assertions); anything else is refused at load time. */
export function loadRsaPrivateKey(source: string | KeyObject): KeyObject {
  return loadSigningKey(source, 'RS256');
}

/** A private key for `alg` (RSA for RS256, EC P-256 for ES256, Ed25519 for EdDSA); anything else is refused at load time. */
export function loadSigningKey(source: string | KeyObject, alg: AppSigningAlgorithm): KeyObject {
  const key = loadPrivateKey(source);
  if (key.type !== 'private' || !keyFitsAlgorithm(key, alg)) {
    throw keyLoadError('private', 'ValueError', keyPathOf(source), { expected: KEY_TYPE_FOR[alg] });
  }
  return key;
}

const KEY_TYPE_FOR: Record<AppSigningAlgorithm, string> = {
  RS256: 'an RSA private key (RS256)',
  ES256: 'an EC P-256 private key (ES256)',
  EdDSA: 'an Ed25519 private key (EdDSA)',
};

/** The path a key was named by: a string that is not PEM text. */
function keyPathOf(source: string | KeyObject): string | undefined {
  return typeof source === 'string' && !source.includes('-----BEGIN') ? source : undefined;
}

/**
 * The reference's error for a key that cannot be loaded ("Cannot load private key: FileNotFoundError"),
 * with the path and a hint that says what to check.
 */
export function keyLoadError(
  kind: 'private' | 'public',
  pythonName: string,
  path: string | undefined,
  options: { cause?: unknown; expected?: string } = {},
): KeyLoadError {
  const file = path ?? `The ${kind} key`;
  let hint: string;
  switch (pythonName) {
    case 'FileNotFoundError':
      hint = `No file at ${path}: check the key's path (the application's keys: APP_PRIVATE_KEY_PATH, APP_PUBLIC_KEY_PATH). The dual-auth keygen command makes a pair.`;
      break;
    case 'PermissionError':
      hint = `This process's user cannot read ${path}: make the file readable by it (keep a private key mode 0600).`;
      break;
    case 'IsADirectoryError':
      hint = `${path} is a folder: name the key file in it.`;
      break;
    case 'ValueError':
      hint = `${file} is not ${options.expected ?? `a PEM ${kind} key`}.`;
      break;
    default:
      hint = `${path} cannot be read.`;
  }
  return new KeyLoadError(`Cannot load ${kind} key: ${pythonName}`, {
    hint,
    ...(path === undefined ? {} : { path }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** Python exception class names for file errors, so messages match the reference. */
export function pythonFileErrorName(error: unknown): string {
  switch ((error as { code?: string })?.code) {
    case 'ENOENT':
      return 'FileNotFoundError';
    case 'EACCES':
    case 'EPERM':
      return 'PermissionError';
    case 'EISDIR':
      return 'IsADirectoryError';
    default:
      return 'OSError';
  }
}

/** Reads a PEM key file; a failure is the reference's KeyLoadError, with the path. */
function readKeyFile(path: string, kind: 'private' | 'public'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw keyLoadError(kind, pythonFileErrorName(error), path, { cause: error });
  }
}
