/**
 * Key loading for the JWTs this package signs and verifies. Error messages name
 * the Python exception class only (as the reference), never the key or its path content.
 */
import { createPrivateKey, createSecretKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DualAuthError } from '../errors.js';

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
  let key: KeyObject;
  if (typeof source !== 'string') {
    key = source;
  } else {
    const pem = source.includes('-----BEGIN') ? source : readKeyFile(source);
    try {
      key = createPrivateKey(pem);
    } catch (error) {
      throw new DualAuthError('Cannot load private key: ValueError', 'ERR_KEY_LOAD', { cause: error });
    }
  }
  const bits = smallRsaModulus(key);
  if (bits !== undefined) throw new DualAuthError(smallRsaKeyMessage('Cannot load private key', bits), 'ERR_KEY_LOAD');
  return key;
}

/** An RSA private key of 2048 bits or more for RS256 (act JWTs, act assertions); anything else is refused at load time. */
export function loadRsaPrivateKey(source: string | KeyObject): KeyObject {
  return loadSigningKey(source, 'RS256');
}

/** A private key for `alg` (RSA for RS256, EC P-256 for ES256, Ed25519 for EdDSA); anything else is refused at load time. */
export function loadSigningKey(source: string | KeyObject, alg: AppSigningAlgorithm): KeyObject {
  const key = loadPrivateKey(source);
  if (key.type !== 'private' || !keyFitsAlgorithm(key, alg)) {
    throw new DualAuthError('Cannot load private key: ValueError', 'ERR_KEY_LOAD');
  }
  return key;
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

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new DualAuthError(`Cannot load private key: ${pythonFileErrorName(error)}`, 'ERR_KEY_LOAD', { cause: error });
  }
}
