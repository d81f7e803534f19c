/**
 * The one JWT check of the package, for the access token, the X-Act-Assertion
 * and the act JWT alike: strict parsing and the algorithm allow-list, the key
 * from its source (at once for a known key; a key set may load jose or
 * refetch), the signature and the claims on node:crypto (./verify.ts).
 * Failures carry jose's error codes; each caller turns them into its own
 * DualAuthErrors (src/verify/errors.ts, OutOfSessionTokenRequest).
 */
import { KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { untilAborted } from '../http/abort.js';
import type { VerificationKeys } from './key-sources.js';
import { decodeJwtClaims, parseCompactJws, verifyJwsSignature, type ClaimsCheck } from './verify.js';

/** Longest JWT (access token, act JWT, act assertion, subject token) accepted, in characters: refused before parsing. No legitimate one comes near. */
export const MAX_JWT_LENGTH = 16_384;

export interface JwtVerifierOptions {
  /** Makes the error of a verification whose signal aborts while a key is fetched. */
  aborted: () => unknown;
  /** Parse a JWS with an empty signature, so that `alg: none` is refused by the allow-list (as PyJWT does) rather than as malformed. Default is false. */
  allowEmptySignature?: boolean;
}

/** Checks a JWT's signature, then its claims with `checkClaims` (from createClaimsCheck, built once per set of checks). */
export type JwtVerifier = (token: string, signal: AbortSignal | undefined, checkClaims: ClaimsCheck) => Promise<JWTPayload>;

/** Built once per key source and allow-list. */
export function createJwtVerifier(keys: VerificationKeys, algorithms: readonly string[], options: JwtVerifierOptions): JwtVerifier {
  const allowed = new Set(algorithms);
  const { aborted, allowEmptySignature = false } = options;
  return async (token, signal, checkClaims) => {
    const jws = parseCompactJws(token, allowed, allowEmptySignature);
    const found = keys.keyFor(jws.header, signal);
    const key = found instanceof KeyObject ? found : await (signal ? untilAborted(found, signal, aborted) : found);
    verifyJwsSignature(jws, key);
    const claims = decodeJwtClaims(jws);
    checkClaims(claims);
    return claims as JWTPayload;
  };
}
