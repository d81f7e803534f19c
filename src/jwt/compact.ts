/**
 * Compact JWS for the fixed-key hot paths, on node:crypto:
 * - signing (`signCompact`) with one configured key: HS256 (client assertions),
 *   RS256 (act JWTs, act assertions, Entra ID's signed act), and ES256 or EdDSA
 *   when the application's key is one;
 * - verifying (`verifyRs256Compact`) RS256 only, with one RSA public key of 2048
 *   bits or more: an act JWT checked against the application's RSA key (with an
 *   EC or Ed25519 key, or a JWKS, the caller verifies elsewhere). Any other `alg`
 *   in the header is refused (ERR_JOSE_ALG_NOT_ALLOWED), whatever the key.
 *
 * Why not jose here: jose 6 signs and verifies through WebCrypto, which on
 * Node 20 costs 2-4x the CPU of the same OpenSSL operation through node:crypto
 * (measured: docs/performance.md). These paths use one algorithm and one key
 * fixed by configuration, so no key selection or algorithm negotiation is
 * involved. The resource-server verifier checks its signatures in ./verify.ts
 * (an alg allow-list, keys from jose's key sets); jose keeps the JWKS (fetch,
 * cache, rotation, key selection) and signs private_key_jwt assertions in the
 * algorithms not listed above. Failures are reported
 * with jose's error codes (JwtCheckError, ./verify.ts), so one mapping turns both
 * into our errors, and jose is not loaded for them.
 */
import { createHmac, sign, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { pythonCompactJson } from '../python-json.js';
import { isStrictCompactJws } from './base64url.js';
import { keyFitsAlgorithm, smallRsaModulus } from './keys.js';
import { decodeJsonObject, JwtCheckError, verifyJwsSignature, type JwsHeader, type ClaimFailure } from './verify.js';

// As jose: TypeError `RS256 requires key modulusLength to be 2048 bits or larger`.
function requireLargeEnough(key: KeyObject): void {
  if (smallRsaModulus(key) !== undefined) throw new TypeError('RS256 requires key modulusLength to be 2048 bits or larger');
}

export type FixedAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA';


/**
 * Signs `claims` with `header`, encoded byte for byte as PyJWT does: compact JSON,
 * non-ASCII escaped, header keys sorted, claims in their own order.
 */
export function signCompact(alg: FixedAlgorithm, header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  // node:crypto signs with whatever key it is given: an EC key would yield an ECDSA signature labelled RS256.
  if (alg === 'HS256') {
    if (key.type !== 'secret') throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', 'HS256 needs a secret key');
  } else if (key.type !== 'private' || !keyFitsAlgorithm(key, alg)) {
    throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', `${alg} needs a matching private key`);
  }
  if (alg === 'RS256') requireLargeEnough(key);
  const sortedHeader = Object.fromEntries(Object.entries(header).sort(([a], [b]) => (a < b ? -1 : 1)));
  const input = `${encodeJson(sortedHeader)}.${encodeJson(claims)}`;
  return `${input}.${signature(alg, input, key).toString('base64url')}`;
}

function signature(alg: FixedAlgorithm, input: string, key: KeyObject): Buffer {
  switch (alg) {
    case 'HS256':
      return createHmac('sha256', key).update(input).digest();
    case 'RS256':
      return sign('sha256', Buffer.from(input), key);
    case 'ES256':
      // JWS wants the raw r || s form (RFC 7518 §3.4), not DER.
      return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, Buffer.from(input), key);
  }
}

export interface Rs256Checks {
  audience: string;
  clockToleranceSeconds: number;
  issuer?: string | undefined;
  /** Claims that must be present. */
  required: readonly string[];
}

/**
 * Verifies an RS256 compact JWS with `key`, then its claims as jose's jwtVerify
 * would (exp, nbf, iat types; aud; iss when asked). Only `alg: RS256` is accepted,
 * whatever the header says otherwise; `crit` and `b64` (RFC 7797) are refused.
 */
export function verifyRs256Compact(jwt: string, key: KeyObject, checks: Rs256Checks): JWTPayload {
  // Only an RSA public key: with an EC or RSA-PSS key node:crypto would accept another algorithm's signature.
  if (key.type !== 'public' || key.asymmetricKeyType !== 'rsa') throw new JwtCheckError('ERR_JOSE_NOT_SUPPORTED', 'RS256 needs an RSA public key');
  requireLargeEnough(key);
  // An empty signature parses (as PyJWT): `alg: none` is then refused by the alg check, not as malformed.
  if (!isStrictCompactJws(jwt, true)) throw new JwtCheckError('ERR_JWS_INVALID', 'Invalid Compact JWS');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = jwt.split('.');
  const header = decodeJsonObject(encodedHeader, 'ERR_JWS_INVALID', 'JWS Protected Header is invalid');
  if (header.alg !== 'RS256') throw new JwtCheckError('ERR_JOSE_ALG_NOT_ALLOWED', '"alg" (Algorithm) Header Parameter value not allowed');
  if (header.crit !== undefined || header.b64 !== undefined) throw new JwtCheckError('ERR_JWS_INVALID', 'Unsupported header parameter');
  verifyJwsSignature({ header: header as JwsHeader, signingInput: `${encodedHeader}.${encodedPayload}`, encodedPayload, encodedSignature }, key);
  const payload = decodeJsonObject(encodedPayload, 'ERR_JWT_INVALID', 'Invalid JSON') as JWTPayload;
  checkClaims(payload, checks);
  return payload;
}

function checkClaims(payload: JWTPayload, checks: Rs256Checks): void {
  const invalid = (claim: string, reason: ClaimFailure): Error => new JwtCheckError('ERR_JWT_CLAIM_VALIDATION_FAILED', `"${claim}" claim ${reason}`, claim, reason);
  for (const claim of checks.required) if (payload[claim] === undefined) throw invalid(claim, 'missing');
  const now = Math.floor(Date.now() / 1000);
  const tolerance = checks.clockToleranceSeconds;
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'number') throw invalid(claim, 'invalid');
  }
  if (payload.nbf !== undefined && payload.nbf > now + tolerance) throw invalid('nbf', 'check_failed');
  if (payload.exp !== undefined && payload.exp <= now - tolerance) {
    throw new JwtCheckError('ERR_JWT_EXPIRED', '"exp" claim timestamp check failed', 'exp', 'check_failed');
  }
  const aud = payload.aud;
  if (aud === undefined) throw invalid('aud', 'missing');
  if (!(aud === checks.audience || (Array.isArray(aud) && aud.includes(checks.audience)))) throw invalid('aud', 'check_failed');
  if (checks.issuer !== undefined && payload.iss !== checks.issuer) throw invalid('iss', 'check_failed');
}

function encodeJson(value: unknown): string {
  return Buffer.from(pythonCompactJson(value)).toString('base64url');
}
