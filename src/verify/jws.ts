/**
 * One JWT check, as the verifier makes it for the access token and for the
 * X-Act-Assertion: strict parsing and the algorithm allow-list, the key from its
 * source (at once for a known key; a key set may load jose or refetch), the
 * signature and the claims on node:crypto (src/jwt/verify.ts). Failures carry
 * jose's error codes; src/verify/errors.ts turns them into DualAuthErrors.
 */
import { KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { untilAborted } from '../http/abort.js';
import { createClaimsCheck, decodeJwtClaims, parseCompactJws, verifyJwsSignature, type ClaimChecks } from '../jwt/verify.js';
import type { VerificationKeys } from './keys.js';

export type JwtVerifier = (token: string, signal: AbortSignal | undefined) => Promise<JWTPayload>;

/** Built once per verifier; `aborted` makes the error of a verification whose signal aborts while a key is fetched. */
export function createJwtVerifier(keys: VerificationKeys, algorithms: readonly string[], checks: ClaimChecks, aborted: () => unknown): JwtVerifier {
  const allowed = new Set(algorithms);
  const checkClaims = createClaimsCheck(checks);
  return async (token, signal) => {
    const jws = parseCompactJws(token, allowed);
    const found = keys.keyFor(jws.header, signal);
    const key = found instanceof KeyObject ? found : await (signal ? untilAborted(found, signal, aborted) : found);
    verifyJwsSignature(jws, key);
    const claims = decodeJwtClaims(jws);
    checkClaims(claims);
    return claims as JWTPayload;
  };
}
