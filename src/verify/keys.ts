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

export interface RemoteKeyOptions {
  jwksUri: string;
  ca?: VerifyOptions['ca'];
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  /** How long past `cacheMaxAgeMs` the last JWKS fetched keeps verifying while the endpoint cannot be reached. */
  maxStaleMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * A remote JWKS as jwtVerify takes it (jose's RemoteJWKSet underneath), with two
 * additions: a verification that is aborted does not leave the JWKS fetch it waits
 * for running (`withSignal`), and the keys last fetched keep verifying for
 * `maxStaleMs` past their maximum age while the endpoint cannot be reached.
 */
export interface RemoteKeys extends JWTVerifyGetKey {
  /** The key resolver of one verification that `signal` may abort. */
  withSignal(signal: AbortSignal): JWTVerifyGetKey;
  /** jose's key set (`reload`, `fresh`, `coolingDown`, `jwks`). */
  readonly remote: RemoteJWKSet;
}

type KeyResult = Awaited<ReturnType<JWTVerifyGetKey>>;

export function createRemoteKeys(options: RemoteKeyOptions): RemoteKeys {
  const url = requireHttpsUrl(options.jwksUri, 'jwksUri must use HTTPS (https://)');
  // One attempt plus one retry on 5xx / connection failure; the timeout is ours.
  const httpFetch = createFetch({ timeoutMs: options.timeoutMs, retries: 1, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  const outer = options.signal;
  /** The fetch in progress, to abort once nobody waits for it. */
  let fetching: AbortController | undefined;
  /** When the last refresh failed (performance.now()). */
  let failedAt = Number.NEGATIVE_INFINITY;
  /** The last key set received, when (performance.now()), and as a local set once needed. */
  let lastGood: { jwks: JSONWebKeySet; at: number; keys?: JWTVerifyGetKey } | undefined;
  /** Verifications waiting in the key resolver. */
  let waiting = 0;

  const fetchJwks: FetchImplementation = async (href, init) => {
    const controller = new AbortController();
    fetching = controller;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signals = [init.signal, controller.signal, timeout];
    if (outer) signals.push(outer);
    const signal = AbortSignal.any(signals);
    let response: Response;
    try {
      // Raced against the signal too: an abort during a stalled TLS handshake must not wait for the connect timeout.
      response = await untilAborted(httpFetch(href, { method: 'GET', headers: init.headers, signal }), signal);
    } catch (cause) {
      if (outer?.aborted) throw new DualAuthError('JWKS fetch aborted', 'ERR_ABORTED', { cause });
      throw new DualAuthError('JWKS could not be fetched', 'ERR_JWKS_UNAVAILABLE', { cause });
    } finally {
      if (fetching === controller) fetching = undefined;
    }
    if (response.status !== 200) {
      throw new DualAuthError(`JWKS endpoint answered HTTP ${response.status}`, 'ERR_JWKS_UNAVAILABLE');
    }
    // Checked here as jose checks it, so that only a key set counts as fetched (a proxy's 200 page does not).
    const jwks = await response.clone().json().catch(() => undefined);
    if (!isKeySet(jwks)) throw new DualAuthError('JWKS endpoint answered something that is not a key set', 'ERR_JWKS_UNAVAILABLE');
    lastGood = { jwks, at: performance.now() };
    return response;
  };
  const remote = createRemoteJWKSet(url, {
    // jose's own abort timer is a backstop behind the HTTP layer's timeout.
    timeoutDuration: Math.ceil(options.timeoutMs * 2 + 1000),
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    [customFetch]: fetchJwks,
  });

  const stale = (): JWTVerifyGetKey | undefined => {
    if (lastGood === undefined || performance.now() > lastGood.at + options.cacheMaxAgeMs + options.maxStaleMs) return undefined;
    lastGood.keys ??= createLocalJWKSet(lastGood.jwks);
    return lastGood.keys;
  };

  const resolve = async (header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1], signal?: AbortSignal): Promise<KeyResult> => {
    // The endpoint failed less than a cooldown ago: no new attempt yet, the stale keys answer at once.
    if (!remote.fresh && performance.now() < failedAt + options.cooldownMs) {
      const keys = stale();
      if (keys) return keys(header, token);
    }
    waiting++;
    try {
      const pending = remote(header, token);
      return await (signal ? untilAborted(pending, signal) : pending);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      failedAt = performance.now();
      const keys = stale();
      if (keys === undefined) throw error;
      return keys(header, token);
    } finally {
      // Everyone waiting for a fetch gave up: the fetch is aborted (its socket with it).
      if (--waiting === 0 && fetching !== undefined && signal?.aborted) fetching.abort();
    }
  };

  const keys = ((header, token) => resolve(header, token)) as RemoteKeys;
  return Object.assign(keys, {
    withSignal: (signal: AbortSignal): JWTVerifyGetKey => (header, token) => resolve(header, token, signal),
    remote,
  });
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key));
}

/** The JWKS endpoint could not be reached or gave no key set (our fetch's errors, jose's timeout and invalid-set errors). */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_JWKS_UNAVAILABLE' || code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || code === 'ERR_JOSE_GENERIC';
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

