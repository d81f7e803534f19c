/**
 * Where verification keys come from, for every JWT this package verifies (access
 * tokens, act assertions, act JWTs): a remote JWKS (jose's RemoteJWKSet: fetch,
 * cache, cooldown, rotation; fetched through the package's HTTP layer so a
 * private CA works, with a stale window and abandoned fetches aborted), or a
 * given key / key set.
 *
 * Every source hands the verifier a node:crypto KeyObject (./verify.ts checks
 * the signature with it). A key jose picks from a key set is a WebCrypto
 * CryptoKey, one per JWK and algorithm, made once by jose and replaced when a
 * refetch brings a new set; its KeyObject is made once too and kept as long as
 * jose keeps the CryptoKey (a WeakMap), so a rotation invalidates it.
 *
 * jose itself is loaded at the first verification that needs a key set, not when
 * the package is imported (issue 13).
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import type { CryptoKey, FetchImplementation, JSONWebKeySet, JWK, JWTVerifyGetKey, RemoteJWKSet } from 'jose';
import { ConfigurationError, DualAuthError } from '../errors.js';
import { untilAborted } from '../http/abort.js';
import { createFetch, requireHttpsUrl } from '../http/client.js';
import type { CaOption } from '../http/tls.js';
import { NON_NEGATIVE, POSITIVE, numberOption } from '../options.js';
import { smallRsaKeyMessage, smallRsaModulus } from './keys.js';
import { JwtCheckError, type JwsHeader } from './verify.js';

type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;
/** jose, loaded once, at the first key set used. */
const loadJose = (): Promise<Jose> => (jose ??= import('jose'));

/**
 * A verification key: a Node KeyObject, a WebCrypto CryptoKey, a public JWK, a JWK
 * Set (`{ keys: [...] }`), or PEM text (SPKI public key or X.509 certificate).
 * Symmetric keys are refused: the IAMs sign access tokens with asymmetric keys.
 */
export type VerifyKey = KeyObject | CryptoKey | JWK | JSONWebKeySet | string;

/** How a remote JWKS is fetched and cached: options of createDualSubjectVerifier and OutOfSessionTokenRequest. */
export interface JwksCacheOptions {
  /** Deadline of one JWKS fetch. Default is 5000 (5 seconds). */
  jwksTimeoutMs?: number;
  /**
   * Minimum time between two JWKS fetches caused by unknown `kid`s, and after a failed fetch: while
   * it lasts, a key set that could not be fetched (and has no stale keys) fails at once, without a new
   * fetch. Default is 30000 (30 seconds).
   */
  jwksCooldownMs?: number;
  /** Maximum age of the cached JWKS before a refetch. Default is 600000 (10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /**
   * How long past `jwksCacheMaxAgeMs` the keys last fetched keep verifying while the JWKS endpoint
   * cannot be reached (refused, timed out, an error status, not a key set): a fail-open window that
   * keeps an API up through an IAM outage (docs/reliability.md). While it lasts, one refetch is tried
   * per `jwksCooldownMs`; the others verify with the cached keys at once. Past it, verification fails
   * (the verifier: ERR_JWKS_UNAVAILABLE, 503). 0 turns it off. Default is 3600000 (1 hour).
   */
  jwksMaxStaleMs?: number;
}

const DEFAULT_JWKS_TIMEOUT_MS = 5_000;
const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 600_000;
/** As Microsoft.IdentityModel's LastKnownGoodLifetime: an hour of IAM outage without refusing valid tokens. */
const DEFAULT_JWKS_MAX_STALE_MS = 3_600_000;

/** The JWKS settings of `options`, checked, with their defaults. */
export function jwksSettings(options: JwksCacheOptions): Pick<RemoteKeyOptions, 'timeoutMs' | 'cooldownMs' | 'cacheMaxAgeMs' | 'maxStaleMs'> {
  return {
    timeoutMs: numberOption('jwksTimeoutMs', options.jwksTimeoutMs, DEFAULT_JWKS_TIMEOUT_MS, POSITIVE),
    cooldownMs: numberOption('jwksCooldownMs', options.jwksCooldownMs, DEFAULT_JWKS_COOLDOWN_MS, NON_NEGATIVE),
    cacheMaxAgeMs: numberOption('jwksCacheMaxAgeMs', options.jwksCacheMaxAgeMs, DEFAULT_JWKS_CACHE_MAX_AGE_MS, POSITIVE),
    maxStaleMs: numberOption('jwksMaxStaleMs', options.jwksMaxStaleMs, DEFAULT_JWKS_MAX_STALE_MS, NON_NEGATIVE),
  };
}

/** Where a verifier gets the key of each token. */
export interface VerificationKeys {
  /**
   * The key for a token with this (parsed, alg allow-listed) header: at once when known, else once
   * resolved (a key set's first use loads jose; an unknown `kid` may refetch a remote set). Fails with
   * jose's errors (no matching key, JWKS unavailable...) or a JwtCheckError.
   */
  keyFor(header: JwsHeader, signal?: AbortSignal): KeyObject | Promise<KeyObject>;
  /** The one key, when a single key (not a key set) was given: its type decides an assertion's default algorithm. */
  readonly single?: KeyObject | undefined;
}

export interface RemoteKeyOptions {
  jwksUri: string;
  ca?: CaOption | undefined;
  timeoutMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  /** How long past `cacheMaxAgeMs` the last JWKS fetched keeps verifying while the endpoint cannot be reached. */
  maxStaleMs: number;
  signal?: AbortSignal | undefined;
}

type KeyResult = Awaited<ReturnType<JWTVerifyGetKey>>;
/** A jose key resolver as called here: with the parsed header only (jose reads `alg` and `kid` from it). */
type KeyResolver = (header: JwsHeader) => Promise<KeyResult>;
const byHeader = (resolver: JWTVerifyGetKey): KeyResolver => resolver as unknown as KeyResolver;

/** A KeyObject per key jose hands out (a CryptoKey per JWK and algorithm), made once and dropped with it. */
const keyObjects = new WeakMap<object, KeyObject>();

function toKeyObject(key: KeyResult): KeyObject {
  if (key instanceof KeyObject) return key;
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    // A JWK for a symmetric algorithm gives bytes: never a verification key here (HS* is refused earlier).
    if (!isCryptoKey(key)) throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', 'key set gave no public key');
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/** jose's key resolver, made at first use (jose loaded then), turned into KeyObjects. */
function fromKeySet(makeResolver: (jose: Jose) => JWTVerifyGetKey): (header: JwsHeader) => Promise<KeyObject> {
  let resolver: KeyResolver | undefined;
  return async (header) => {
    resolver ??= byHeader(makeResolver(await loadJose()));
    return toKeyObject(await resolver(header));
  };
}

/**
 * A remote JWKS through jose's RemoteJWKSet, with two additions: a verification that is aborted
 * does not leave the JWKS fetch it waits for running (the `signal` of `keyFor`), and the keys last
 * fetched keep verifying for `maxStaleMs` past their maximum age while the endpoint cannot be reached.
 */
export function createRemoteKeys(options: RemoteKeyOptions): VerificationKeys {
  const url = requireHttpsUrl(options.jwksUri, 'jwksUri must use HTTPS (https://)');
  // One attempt plus one retry on 5xx / connection failure; the timeout is ours.
  const httpFetch = createFetch({ timeoutMs: options.timeoutMs, retries: 1, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  const outer = options.signal;
  /** The fetch in progress, to abort once nobody waits for it. */
  let fetching: AbortController | undefined;
  /** When the last refresh failed (performance.now()), and with what. */
  let failedAt = Number.NEGATIVE_INFINITY;
  let failure: unknown;
  /** The last key set received, when (performance.now()), and as a local set once needed. */
  let lastGood: { jwks: JSONWebKeySet; at: number; keys?: KeyResolver } | undefined;
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

  // jose's key set, made at the first verification (jose is loaded then).
  let remote: RemoteJWKSet | undefined;
  let createLocalJWKSet: Jose['createLocalJWKSet'] | undefined;
  const remoteSet = async (): Promise<RemoteJWKSet> => {
    if (remote) return remote;
    const loaded = await loadJose();
    createLocalJWKSet = loaded.createLocalJWKSet;
    return (remote ??= loaded.createRemoteJWKSet(url, {
      // jose's own abort timer is a backstop behind the HTTP layer's timeout.
      timeoutDuration: Math.ceil(options.timeoutMs * 2 + 1000),
      cooldownDuration: options.cooldownMs,
      cacheMaxAge: options.cacheMaxAgeMs,
      [loaded.customFetch]: fetchJwks,
    }));
  };

  const stale = (): KeyResolver | undefined => {
    if (lastGood === undefined || performance.now() > lastGood.at + options.cacheMaxAgeMs + options.maxStaleMs) return undefined;
    lastGood.keys ??= byHeader(createLocalJWKSet!(lastGood.jwks));
    return lastGood.keys;
  };

  const resolve = async (header: JwsHeader, signal?: AbortSignal): Promise<KeyResult> => {
    const set = remote ?? (await remoteSet());
    // The caller gave up while jose was loading: no fetch for nobody.
    if (signal?.aborted) throw signal.reason;
    // The endpoint failed less than a cooldown ago: no new attempt yet, the stale keys answer at once.
    // Without stale keys, the last failure answers at once: an endpoint that is down gets one attempt
    // per cooldown, not one per verification (a fetch storm against the IAM when it can least take it).
    if (!set.fresh && performance.now() < failedAt + options.cooldownMs) {
      const keys = stale();
      if (keys) return keys(header);
      throw failure;
    }
    waiting++;
    try {
      const pending = byHeader(set)(header);
      return await (signal ? untilAborted(pending, signal) : pending);
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      failedAt = performance.now();
      failure = error;
      const keys = stale();
      if (keys === undefined) throw error;
      return keys(header);
    } finally {
      // Everyone waiting for a fetch gave up: the fetch is aborted (its socket with it).
      if (--waiting === 0 && fetching !== undefined && signal?.aborted) fetching.abort();
    }
  };

  return { keyFor: async (header, signal) => toKeyObject(await resolve(header, signal)) };
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

/** Turns a given key or key set into verification keys, refusing symmetric and private keys. `name` is the option, for messages. */
export function createLocalKeys(key: VerifyKey, name = 'key'): VerificationKeys {
  if (typeof key === 'string') return singleKey(publicKeyFromPem(key, name));
  if (key instanceof KeyObject) return singleKey(requirePublicKeyObject(key, name));
  if (isCryptoKey(key)) {
    const cryptoKey = requirePublicCryptoKey(key, name);
    const keyObject = KeyObject.from(cryptoKey);
    return {
      single: keyObject,
      keyFor: (header) => {
        // A CryptoKey is bound to one algorithm (and hash, curve) and its usages: as jose, only those verify.
        if (!cryptoKeyAllows(cryptoKey, header.alg)) throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', `the CryptoKey cannot verify ${header.alg}`);
        return keyObject;
      },
    };
  }
  if (key && typeof key === 'object') {
    if (Array.isArray((key as JSONWebKeySet).keys)) {
      const set = key as JSONWebKeySet;
      set.keys.forEach((jwk) => checkPublicJwk(jwk));
      // jose picks the key (kid, kty, alg, use, key_ops, crv) from its own copy of the set.
      const snapshot = snapshotOf(set);
      return { keyFor: fromKeySet(({ createLocalJWKSet }) => createLocalJWKSet(snapshot)) };
    }
    if (typeof (key as JWK).kty === 'string') {
      checkPublicJwk(key as JWK);
      const snapshot = snapshotOf({ keys: [key as JWK] });
      return { keyFor: fromKeySet(({ createLocalJWKSet }) => createLocalJWKSet(snapshot)) };
    }
  }
  throw new ConfigurationError(`${name} must be a public KeyObject, CryptoKey, JWK, JWK Set or PEM text`);
}

/** A copy of a given key set, taken now: jose reads it at the first verification. */
function snapshotOf(set: JSONWebKeySet): JSONWebKeySet {
  try {
    return structuredClone(set);
  } catch (cause) {
    throw new ConfigurationError('key set holds an invalid JWK', 'ERR_CONFIGURATION', { cause });
  }
}

/** One fixed key. */
export function singleKey(key: KeyObject): VerificationKeys {
  return { single: key, keyFor: () => key };
}

/** The WebCrypto algorithm each JWS algorithm needs of a CryptoKey (jose's checks: name, hash, curve, usage). */
function cryptoKeyAllows(key: CryptoKey, alg: string): boolean {
  if (!key.usages.includes('verify')) return false;
  const algorithm = key.algorithm as { name: string; hash?: { name?: string }; namedCurve?: string };
  const bits = alg.slice(2);
  switch (alg.slice(0, 2)) {
    case 'RS':
      return algorithm.name === 'RSASSA-PKCS1-v1_5' && algorithm.hash?.name === `SHA-${bits}`;
    case 'PS':
      return algorithm.name === 'RSA-PSS' && algorithm.hash?.name === `SHA-${bits}`;
    case 'ES':
      return algorithm.name === 'ECDSA' && algorithm.namedCurve === ({ '256': 'P-256', '384': 'P-384', '512': 'P-521' } as Record<string, string>)[bits];
    default:
      return (alg === 'EdDSA' || alg === 'Ed25519') && algorithm.name === 'Ed25519';
  }
}

/** PEM text (SPKI public key or X.509 certificate) to a public KeyObject. */
function publicKeyFromPem(pem: string, name: string): KeyObject {
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

function requirePublicKeyObject(key: KeyObject, name: string): KeyObject {
  if (key.type !== 'public') throw new ConfigurationError(`${name} must be a public key`);
  return requireLargeEnough(key, name);
}

function requirePublicCryptoKey(key: CryptoKey, name: string): CryptoKey {
  if (key.type !== 'public') throw new ConfigurationError(`${name} must be a public key`);
  return requireLargeEnough(key, name);
}

/** Refused at configuration, not at the first request: jose would refuse a small RSA key only when verifying. */
function requireLargeEnough<K extends KeyObject | CryptoKey>(key: K, name: string): K {
  const bits = smallRsaModulus(key);
  if (bits !== undefined) throw new ConfigurationError(smallRsaKeyMessage(name, bits), 'ERR_KEY_LOAD');
  return key;
}

function isCryptoKey(key: unknown): key is CryptoKey {
  // The WebCrypto CryptoKey class is a global from Node 17 on (not on node:crypto's webcrypto in Node 20).
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return typeof CryptoKeyClass === 'function' && key instanceof CryptoKeyClass;
}

function checkPublicJwk(jwk: JWK): void {
  if (!jwk || typeof jwk !== 'object' || typeof jwk.kty !== 'string') throw new ConfigurationError('key set holds an invalid JWK');
  if (jwk.kty === 'oct') throw new ConfigurationError('symmetric (oct) keys are not accepted for access-token verification');
  if ('d' in jwk || 'p' in jwk || 'q' in jwk) throw new ConfigurationError('JWK must be a public key, not a private key');
}

