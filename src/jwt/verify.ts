/**
 * Compact JWS / JWT verification on node:crypto, for a key already resolved to
 * a KeyObject (the resource-server verifier resolves it from a JWKS through
 * jose, which keeps the key set: fetch, cache, cooldown, rotation).
 *
 * Why not jose's jwtVerify here: jose 6 verifies through WebCrypto, which on
 * Node 20 costs 3-5x the CPU of the same OpenSSL check through node:crypto
 * (an RS256 token: ~140 µs against ~30 µs; docs/performance.md, issue 13).
 *
 * The checks are jose's, in jose's order, and fail with jose's error codes
 * (JwtCheckError), so one mapping (src/verify/errors.ts) reads both; stricter
 * where src/jwt already is: every segment strict base64url, the header and the
 * claims strict UTF-8 JSON objects, `crit` and `b64` refused, the algorithm
 * allow-listed before any key is looked up, the key's type checked against
 * the algorithm (and RSA keys of 2048 bits or more) before the signature.
 */
import { isUtf8 } from 'node:buffer';
import { constants, verify, type KeyObject } from 'node:crypto';
import { isStrictCompactJws } from './base64url.js';
import { smallRsaModulus } from './keys.js';

/** jose's error codes, for the checks made here. */
export type JwtCheckCode =
  | 'ERR_JWS_INVALID'
  | 'ERR_JWT_INVALID'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_NOT_SUPPORTED'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_JWT_EXPIRED';

export type ClaimFailure = 'missing' | 'invalid' | 'check_failed';

/**
 * A failed check, with jose's error code (and, for a claim or the `alg` header, its name and why), so code that maps
 * jose's errors maps these alike. It never holds the token, a claim value or the claims set.
 */
export class JwtCheckError extends Error {
  override readonly name = 'JwtCheckError';
  constructor(
    readonly code: JwtCheckCode,
    message: string,
    readonly claim?: string,
    readonly reason?: ClaimFailure,
  ) {
    super(message);
  }
}

/** The protected header of a parsed JWS: `alg` checked, everything else as sent. */
export interface JwsHeader {
  alg: string;
  kid?: unknown;
  [parameter: string]: unknown;
}

export interface ParsedJws {
  header: JwsHeader;
  /** `header.payload`: the bytes the signature covers. */
  signingInput: string;
  encodedPayload: string;
  encodedSignature: string;
}

/**
 * Parses a compact JWS strictly and checks its algorithm against `algorithms`, before any key is
 * looked up: three strict base64url segments (an empty signature only with `allowEmptySignature`,
 * so that `alg: none` is refused by the allow-list rather than as malformed), a header that is a
 * JSON object with a non-empty string `alg`, no `crit` and no `b64` (RFC 7797: an unencoded payload
 * is never a JWT).
 */
export function parseCompactJws(token: string, algorithms: ReadonlySet<string>, allowEmptySignature = false): ParsedJws {
  if (!isStrictCompactJws(token, allowEmptySignature)) throw new JwtCheckError('ERR_JWS_INVALID', 'Invalid Compact JWS');
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const header = decodeJsonObject(token.slice(0, first), 'ERR_JWS_INVALID', 'JWS Protected Header is invalid');
  if (header.crit !== undefined || header.b64 !== undefined) throw new JwtCheckError('ERR_JWS_INVALID', 'Unsupported JWS header parameter');
  const alg = header.alg;
  // Named ('alg'), so that a caller may report it as PyJWT does (an algorithm error, not a malformed token).
  if (typeof alg !== 'string' || alg.length === 0) throw new JwtCheckError('ERR_JWS_INVALID', 'JWS "alg" (Algorithm) Header Parameter missing or invalid', 'alg', 'invalid');
  if (!algorithms.has(alg)) throw new JwtCheckError('ERR_JOSE_ALG_NOT_ALLOWED', '"alg" (Algorithm) Header Parameter value not allowed');
  return {
    header: header as JwsHeader,
    signingInput: token.slice(0, second),
    encodedPayload: token.slice(first + 1, second),
    encodedSignature: token.slice(second + 1),
  };
}

interface SignatureScheme {
  /** The digest, or null for EdDSA. */
  digest: string | null;
  fits(key: KeyObject): boolean;
  /** Extra node:crypto verify options: padding and salt length for PS*, the r || s form for ES*. */
  options?: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' };
}

const rsa = (bits: number): SignatureScheme => ({ digest: `sha${bits}`, fits: (key) => key.asymmetricKeyType === 'rsa' });
const rsaPss = (bits: number): SignatureScheme => ({
  digest: `sha${bits}`,
  fits: (key) => key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss',
  // RFC 7518 §3.5: the salt is as long as the digest.
  options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 },
});
const ecdsa = (bits: number, curve: string): SignatureScheme => ({
  digest: `sha${bits}`,
  fits: (key) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curve,
  // RFC 7518 §3.4: the raw r || s form, not DER.
  options: { dsaEncoding: 'ieee-p1363' },
});
const eddsa: SignatureScheme = { digest: null, fits: (key) => key.asymmetricKeyType === 'ed25519' };

/** The asymmetric JWS algorithms jose 6 verifies on Node 20 (RFC 7518, RFC 8037, RFC 9864), and how. */
const SCHEMES: Readonly<Record<string, SignatureScheme>> = Object.freeze({
  RS256: rsa(256),
  RS384: rsa(384),
  RS512: rsa(512),
  PS256: rsaPss(256),
  PS384: rsaPss(384),
  PS512: rsaPss(512),
  ES256: ecdsa(256, 'prime256v1'),
  ES384: ecdsa(384, 'secp384r1'),
  ES512: ecdsa(512, 'secp521r1'),
  EdDSA: eddsa,
  Ed25519: eddsa,
});

/** Keys already found to fit an algorithm (the checks read key details): a check per key and algorithm, not per token. */
const fitting = new WeakMap<KeyObject, Set<string>>();

/**
 * Throws unless `key` is a public key of the type `alg` signs with (RSA of 2048 bits or more for
 * RS* and PS*, the curve of ES*, Ed25519 for EdDSA): node:crypto verifies with whatever key it is
 * given, so an EC key would otherwise accept an ECDSA signature labelled RS256.
 */
export function requireKeyFor(alg: string, key: KeyObject): void {
  if (fitting.get(key)?.has(alg)) return;
  const scheme = Object.hasOwn(SCHEMES, alg) ? SCHEMES[alg] : undefined;
  if (scheme === undefined) throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', `alg ${alg} is not supported`);
  if (key.type !== 'public' || !scheme.fits(key)) throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', `the key cannot verify ${alg}`);
  if (smallRsaModulus(key) !== undefined) throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', `${alg} requires key modulusLength to be 2048 bits or larger`);
  let algs = fitting.get(key);
  if (!algs) fitting.set(key, (algs = new Set()));
  algs.add(alg);
}

/** Checks the signature of a parsed JWS with `key` (checked against the header's algorithm first). */
export function verifyJwsSignature(jws: ParsedJws, key: KeyObject): void {
  const alg = jws.header.alg;
  requireKeyFor(alg, key);
  const scheme = SCHEMES[alg] as SignatureScheme;
  let valid: boolean;
  try {
    // The signing input is ASCII (strict base64url and dots): latin1 is its exact byte form, and the fastest.
    valid = verify(scheme.digest, Buffer.from(jws.signingInput, 'latin1'), scheme.options ? { key, ...scheme.options } : key, Buffer.from(jws.encodedSignature, 'base64url'));
  } catch {
    // e.g. an ECDSA signature of the wrong length.
    valid = false;
  }
  if (!valid) throw new JwtCheckError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
}

/** The claims of a verified JWS: a JSON object in strict UTF-8. */
export function decodeJwtClaims(jws: ParsedJws): Record<string, unknown> {
  return decodeJsonObject(jws.encodedPayload, 'ERR_JWT_INVALID', 'JWT Claims Set must be a top-level JSON object');
}

export interface ClaimChecks {
  /** Expected `iss`, one of several when an array; required when given. */
  issuer?: string | readonly string[] | undefined;
  /** Expected `aud`: the token must name at least one; required when given. */
  audience?: string | readonly string[] | undefined;
  /** Leeway for exp, nbf and iat, seconds (>= 0). */
  clockToleranceSeconds: number;
  /** Maximum age (now - iat), seconds; makes `iat` required. */
  maxTokenAgeSeconds?: number | undefined;
  /** Claims that must be present. */
  requiredClaims?: readonly string[] | undefined;
  /**
   * Whose order the checks run in, which decides the error when several would fail: 'jose' (jwtVerify's:
   * presence of iss, aud and the required claims, iss, aud, then the times) or 'pyjwt' (the reference's
   * act JWT check: the required claims, the times' types, nbf, exp, aud, then iss). Default is 'jose'.
   */
  order?: 'jose' | 'pyjwt';
}

/** Throws a JwtCheckError when the claims fail a check. */
export type ClaimsCheck = (claims: Record<string, unknown>) => void;

/**
 * The claims check of jose's jwtVerify (or, with `order: 'pyjwt'`, of PyJWT's decode), built once.
 * Failures are JwtCheckErrors with jose's codes, claims and reasons.
 */
export function createClaimsCheck(checks: ClaimChecks): ClaimsCheck {
  const issuers = checks.issuer === undefined ? undefined : typeof checks.issuer === 'string' ? [checks.issuer] : [...checks.issuer];
  const audiences = checks.audience === undefined ? undefined : typeof checks.audience === 'string' ? [checks.audience] : [...checks.audience];
  const tolerance = checks.clockToleranceSeconds;
  const maxAge = checks.maxTokenAgeSeconds;
  const required = [...(checks.requiredClaims ?? [])];

  const times = (claims: Record<string, unknown>, pyjwtOrder: boolean): void => {
    const now = Math.floor(Date.now() / 1000);
    // PyJWT checks the types of exp, nbf and iat before any time; jose checks iat, nbf and exp as it reaches each.
    let exp: number | undefined;
    let nbf: number | undefined;
    if (pyjwtOrder) {
      exp = numericDate(claims, 'exp', false);
      nbf = numericDate(claims, 'nbf', false);
    }
    const iat = numericDate(claims, 'iat', maxAge !== undefined);
    if (!pyjwtOrder) nbf = numericDate(claims, 'nbf', false);
    if (nbf !== undefined && nbf > now + tolerance) throw claimError('nbf', 'check_failed');
    if (!pyjwtOrder) exp = numericDate(claims, 'exp', false);
    if (exp !== undefined && exp <= now - tolerance) throw new JwtCheckError('ERR_JWT_EXPIRED', '"exp" claim timestamp check failed', 'exp', 'check_failed');
    if (maxAge !== undefined) {
      const age = now - (iat as number);
      if (age - tolerance > maxAge) throw new JwtCheckError('ERR_JWT_EXPIRED', '"iat" claim timestamp check failed (too far in the past)', 'iat', 'check_failed');
      if (age < -tolerance) throw claimError('iat', 'check_failed');
    }
  };

  if (checks.order === 'pyjwt') {
    return (claims) => {
      for (const claim of required) if (!Object.hasOwn(claims, claim)) throw claimError(claim, 'missing');
      times(claims, true);
      if (audiences !== undefined) {
        if (!Object.hasOwn(claims, 'aud')) throw claimError('aud', 'missing');
        if (!audienceMatches(claims.aud, audiences)) throw claimError('aud', 'check_failed');
      }
      if (issuers !== undefined && !issuers.includes(claims.iss as string)) throw claimError('iss', 'check_failed');
    };
  }

  // jose checks presence in this order: iss, aud, iat (with a maximum age), then the required claims last to first.
  const present = [...required];
  if (maxAge !== undefined) present.push('iat');
  if (audiences !== undefined) present.push('aud');
  if (issuers !== undefined) present.push('iss');
  const presence = [...new Set(present.reverse())];
  return (claims) => {
    for (const claim of presence) if (!Object.hasOwn(claims, claim)) throw claimError(claim, 'missing');
    if (issuers !== undefined && !issuers.includes(claims.iss as string)) throw claimError('iss', 'check_failed');
    if (audiences !== undefined && !audienceMatches(claims.aud, audiences)) throw claimError('aud', 'check_failed');
    times(claims, false);
  };
}

function audienceMatches(aud: unknown, expected: readonly string[]): boolean {
  if (typeof aud === 'string') return expected.includes(aud);
  return Array.isArray(aud) && expected.some((one) => aud.includes(one));
}

/** A NumericDate claim: undefined when absent and not required, else a number (or a failure). */
function numericDate(claims: Record<string, unknown>, claim: string, required: boolean): number | undefined {
  const value = claims[claim];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number') throw claimError(claim, 'invalid');
  return value;
}

function claimError(claim: string, reason: ClaimFailure): JwtCheckError {
  const text = reason === 'missing' ? `missing required "${claim}" claim` : reason === 'invalid' ? `"${claim}" claim must be a number` : `unexpected "${claim}" claim value`;
  return new JwtCheckError('ERR_JWT_CLAIM_VALIDATION_FAILED', text, claim, reason);
}

/** A base64url segment (already checked strict) holding a JSON object in strict UTF-8. */
export function decodeJsonObject(segment: string, code: 'ERR_JWS_INVALID' | 'ERR_JWT_INVALID', message: string): Record<string, unknown> {
  const bytes = Buffer.from(segment, 'base64url');
  // Buffer's decoder would replace invalid bytes with U+FFFD; jose's is fatal, and so is this check.
  if (!isUtf8(bytes)) throw new JwtCheckError(code, message);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new JwtCheckError(code, message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new JwtCheckError(code, message);
  return value as Record<string, unknown>;
}
