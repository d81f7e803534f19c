import { randomBytes } from 'node:crypto';

/** A JWT id as the Python package makes it: 32 random bytes, URL-safe base64 (43 characters). */
export function newJti(): string {
  return randomBytes(32).toString('base64url');
}

/** Seconds since the epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
