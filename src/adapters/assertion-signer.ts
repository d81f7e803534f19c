/**
 * How Keycloak, Auth0 and Okta adapters sign the client assertion. Default: HS256
 * with the client secret (client_secret_jwt), as the reference. Optional: a
 * private key (private_key_jwt, RFC 7523), which Auth0 documents and every vendor accepts.
 */
import { createPrivateKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { DualAuthError } from '../errors.js';
import type { Act } from '../session/act.js';
import { newJti, nowSeconds } from '../session/jti.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_ASSERTION_LIFETIME_SECONDS = 300;

export interface PrivateKeyJwtOptions {
  /** PEM text, a path to a PEM file, or a KeyObject. */
  privateKey: string | KeyObject;
  /** Default RS256. */
  alg?: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384';
  /** `kid` header, as registered with the IAM. */
  kid?: string;
}

export type AssertionSigner = (agentId: string, audience: string, act: Act) => Promise<string>;

export function createAssertionSigner(clientSecret: string, privateKeyJwt?: PrivateKeyJwtOptions): AssertionSigner {
  const key = privateKeyJwt ? loadPrivateKey(privateKeyJwt.privateKey) : clientSecretKey(clientSecret);
  const header = privateKeyJwt
    ? { alg: privateKeyJwt.alg ?? 'RS256', typ: 'JWT', ...(privateKeyJwt.kid ? { kid: privateKeyJwt.kid } : {}) }
    : { alg: 'HS256', typ: 'JWT' };
  return (agentId, audience, act) => {
    const now = nowSeconds();
    // Claims in the Python order (iss, sub, aud, exp, iat, jti, act): the same bytes on the wire.
    return new SignJWT({ iss: agentId, sub: agentId, aud: audience, exp: now + CLIENT_ASSERTION_LIFETIME_SECONDS, iat: now, jti: newJti(), act })
      .setProtectedHeader(header)
      .sign(key);
  };
}

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
