/**
 * `ath`: the access-token hash that binds an EntraID act assertion to the one
 * access token it travels with (the same construction as DPoP, RFC 9449 §4.2):
 * base64url(SHA-256(ASCII bytes of the access token)), no padding.
 *
 * Its own module (node:crypto and the error class only) so the signing side, the
 * EntraID adapter, can import it without loading the verifier.
 */
import { createHash } from 'node:crypto';
import { DualAuthError } from '../errors.js';

export function computeAth(accessToken: string): string {
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new DualAuthError('computeAth: accessToken must be a non-empty string', 'ERR_INVALID_ARGUMENT');
  }
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}
