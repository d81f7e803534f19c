/**
 * Redis key names. Every key is `<keyPrefix>{<digest>}[:suffix]`: the digest
 * (never the jti, a token or a person) in braces is the Cluster hash tag, so the
 * keys of one entry (a token and its lock) share a slot while entries spread
 * over the whole cluster.
 */
import { DualAuthError } from '../errors.js';

const MAX_PREFIX_LENGTH = 128;

/** Checks a keyPrefix: printable, no braces (they would move the hash tag), at most 128 characters. */
export function checkKeyPrefix(prefix: unknown, fallback: string, feature: string): string {
  if (prefix === undefined) return fallback;
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH || !/^[\x21-\x7a\x7c\x7e]*$/.test(prefix)) {
    throw new DualAuthError(`${feature}: keyPrefix must be at most ${MAX_PREFIX_LENGTH} printable characters without spaces or braces`, 'ERR_INVALID_ARGUMENT');
  }
  return prefix;
}

/** `<prefix>{<digest>}`: the digest is the hash tag. */
export function taggedKey(prefix: string, digest: string): string {
  return `${prefix}{${digest}}`;
}
