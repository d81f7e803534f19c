/**
 * Where verification keys come from: a remote JWKS (cached by jose, fetched
 * through the package's HTTP layer so a private CA works), or a given key / key
 * set. And which algorithms may be used with them.
 */
import { untilAborted } from '../http/abort.js';
import { createPublicKey, KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type CryptoKey,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from 'jose';
import { ConfigurationError, DualAuthError } from '../errors.js';
import { createFetch, requireHttpsUrl } from '../http/index.js';
import { smallRsaKeyMessage, smallRsaModulus } from '../jwt/keys.js';
import type { VerifyKey, VerifyOptions } from './types.js';

/** Asymmetric JWS algorithms (RFC 7518, RFC 8037). HS* is never on this list. */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
]);

/** The allow-list: given algorithms minus nothing; `none` and HS* make it a configuration error. */
export function resolveAlgorithms(algorithms: readonly string[] | undefined): string[] {
  if (algorithms === undefined) return [...DEFAULT_ALGORITHMS];
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => typeof a === 'string' && a.length > 0)) {
    throw new ConfigurationError('algorithms must be a non-empty array of JWS algorithm names');
  }
  for (const alg of algorithms) {
    // `none` is no signature; HS* would let anyone holding the public key (as the HMAC secret) forge tokens.
    if (alg.toLowerCase() === 'none' || /^hs\d+$/i.test(alg)) {
      throw new ConfigurationError(`algorithm ${alg} is not allowed for access-token verification`);
    }
  }
  return [...algorithms];
}

export type KeySource = CryptoKey | KeyObject | JWTVerifyGetKey;

export interface ResolvedKeys {
  /** What jwtVerify gets: a key, or a key-set resolver. */
  key: KeySource;
  /** The remote set when there is one (for `reload`, `fresh`, tests). */
  remote?: RemoteJWKSet;
}

export interface RemoteKeyOptions {
  jwksUri: string;
  ca?: VerifyOptions['ca'];
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  signal?: AbortSignal | undefined;
}

export function createRemoteKeys(options: RemoteKeyOptions): RemoteJWKSet {
  const url = requireHttpsUrl(options.jwksUri, 'jwksUri must use HTTPS (https://)');
  // One attempt plus one retry on 5xx / connection failure; the timeout is ours.
  const httpFetch = createFetch({ timeoutMs: options.timeoutMs, retries: 1, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  const outer = options.signal;
  const fetchJwks: FetchImplementation = async (href, init) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any(outer ? [init.signal, timeout, outer] : [init.signal, timeout]);
    let response: Response;
    try {
      // Raced against the signal too: an abort during a stalled TLS handshake must not wait for the connect timeout.
      response = await untilAborted(httpFetch(href, { method: 'GET', headers: init.headers, signal }), signal);
    } catch (cause) {
      if (outer?.aborted) throw new DualAuthError('JWKS fetch aborted', 'ERR_ABORTED', { cause });
      throw new DualAuthError('JWKS could not be fetched', 'ERR_JWKS_UNAVAILABLE', { cause });
    }
    if (response.status !== 200) {
      throw new DualAuthError(`JWKS endpoint answered HTTP ${response.status}`, 'ERR_JWKS_UNAVAILABLE');
    }
    return response;
  };
  return createRemoteJWKSet(url, {
    // jose's own abort timer is a backstop behind the HTTP layer's timeout.
    timeoutDuration: Math.ceil(options.timeoutMs * 2 + 1000),
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [customFetch]: fetchJwks,
  });
}

/** Turns a given key or key set into what jwtVerify takes, refusing symmetric and private keys. `name` is the option, for messages. */
export function createLocalKeys(key: VerifyKey, name = 'key'): KeySource {
  if (typeof key === 'string') return publicKeyFromPem(key, name);
  if (key instanceof KeyObject) return requirePublicKeyObject(key, name);
  if (isCryptoKey(key)) return requirePublicCryptoKey(key, name);
  if (key && typeof key === 'object') {
    if (Array.isArray((key as JSONWebKeySet).keys)) {
      const set = key as JSONWebKeySet;
      set.keys.forEach((jwk) => checkPublicJwk(jwk));
      return createLocalJWKSet(set);
    }
    if (typeof (key as JWK).kty === 'string') {
      checkPublicJwk(key as JWK);
      return createLocalJWKSet({ keys: [key as JWK] });
    }
  }
  throw new ConfigurationError(`${name} must be a public KeyObject, CryptoKey, JWK, JWK Set or PEM text`);
}

/** PEM text (SPKI public key or X.509 certificate) to a public KeyObject. */
export function publicKeyFromPem(pem: string, name: string): KeyObject {
  if (!pem.includes('-----BEGIN')) throw new ConfigurationError(`${name} must be PEM text (a public key or certificate)`);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new ConfigurationError(`${name} must be a public key, not a private key`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new ConfigurationError(`${name} could not be loaded as a public key`, 'ERR_KEY_LOAD', { cause });
  }
  return requireLargeEnough(key, name);
}

export function requirePublicKeyObject(key: KeyObject, name: string): KeyObject {
  if (key.type !== 'public') throw new ConfigurationError(`${name} must be a public key`);
  return requireLargeEnough(key, name);
}

export function requirePublicCryptoKey(key: CryptoKey, name: string): CryptoKey {
  if (key.type !== 'public') throw new ConfigurationError(`${name} must be a public key`);
  return requireLargeEnough(key, name);
}

/** Refused at configuration, not at the first request: jose would refuse a small RSA key only when verifying. */
function requireLargeEnough<K extends KeyObject | CryptoKey>(key: K, name: string): K {
  const bits = smallRsaModulus(key);
  if (bits !== undefined) throw new ConfigurationError(smallRsaKeyMessage(name, bits), 'ERR_KEY_LOAD');
  return key;
}

export function isCryptoKey(key: unknown): key is CryptoKey {
  // The WebCrypto CryptoKey class is a global from Node 17 on (not on node:crypto's webcrypto in Node 20).
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return typeof CryptoKeyClass === 'function' && key instanceof CryptoKeyClass;
}

function checkPublicJwk(jwk: JWK): void {
  if (!jwk || typeof jwk !== 'object' || typeof jwk.kty !== 'string') throw new ConfigurationError('key set holds an invalid JWK');
  if (jwk.kty === 'oct') throw new ConfigurationError('symmetric (oct) keys are not accepted for access-token verification');
  if ('d' in jwk || 'p' in jwk || 'q' in jwk) throw new ConfigurationError('JWK must be a public key, not a private key');
}

