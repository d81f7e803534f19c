/**
 * Compact JWS signing for the fixed-key hot paths, on node:crypto, with one
 * configured key: HS256 (client assertions), RS256 (act JWTs, act assertions,
 * Entra ID's signed act), and ES256 or EdDSA when the application's key is one.
 * Verification is ./verifier.ts, for every JWT the package checks.
 *
 * Why not jose here: jose 6 signs through WebCrypto, which on Node 20 costs 2-4x
 * the CPU of the same OpenSSL operation through node:crypto (measured:
 * docs/performance.md). These paths use one algorithm and one key fixed by
 * configuration, so no key selection or algorithm negotiation is involved; jose
 * signs private_key_jwt assertions in the algorithms not listed above.
 * Failures are reported with jose's error codes (JwtCheckError, ./verify.ts).
 */
import { createHmac, sign, type KeyObject } from 'node:crypto';
import { pythonCompactJson } from '../python-json.js';
import { keyFitsAlgorithm, smallRsaModulus } from './keys.js';
import { JwtCheckError } from './verify.js';

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

function encodeJson(value: unknown): string {
  return Buffer.from(pythonCompactJson(value)).toString('base64url');
}
