/** Which JWS algorithms the resource server accepts (access tokens, act assertions). */
import { ConfigurationError } from '../errors.js';

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
