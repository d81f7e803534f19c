/**
 * Key loading for the JWTs this package signs and verifies. Error messages name
 * the Python exception class only (as the reference), never the key or its path content.
 */
import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DualAuthError } from '../errors.js';
import { keyFitsAlgorithm, type AppSigningAlgorithm } from './compact.js';

/** The HS256 key of client_secret_jwt: the client secret's UTF-8 bytes, as PyJWT uses them. */
export function clientSecretKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Loads a PEM private key from text or a path. Errors name the failure class only. */
export function loadPrivateKey(source: string | KeyObject): KeyObject {
  if (typeof source !== 'string') return source;
  const pem = source.includes('-----BEGIN') ? source : readKeyFile(source);
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new DualAuthError('Cannot load private key: ValueError', 'ERR_KEY_LOAD', { cause: error });
  }
}

/** An RSA private key for RS256 (act JWTs, act assertions); anything else is refused at load time. */
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
