/**
 * What RedisTokenCache writes is unreadable without the user's key: values are
 * AES-256-GCM sealed (random 96-bit IV, the Redis key as additional data, so a
 * value cannot be moved under another key), and key names are HMAC-SHA-256
 * digests of the cache key, so they reveal neither the agent nor the person.
 * Two keys are derived from the one given (HKDF-SHA-256): one per purpose.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { DualAuthError } from '../errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1.';

/** A 32-byte key: bytes, 64 hex characters, or base64 / base64url of 32 bytes. */
export type EncryptionKeyInput = Uint8Array | string;

const KEY_HINT = 'encryptionKey must be 32 bytes (AES-256): a Buffer, 64 hex characters, or base64 of 32 random bytes (e.g. `openssl rand -base64 32`)';

/** The key's 32 bytes; a DualAuthError ERR_INVALID_ENCRYPTION_KEY (never echoing the key) otherwise. */
export function parseEncryptionKey(value: unknown): Buffer {
  let bytes: Buffer | undefined;
  if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else if (typeof value === 'string') {
    const text = value.trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) bytes = Buffer.from(text, 'hex');
    else if (/^[A-Za-z0-9+/_-]{42,43}={0,2}$/.test(text)) bytes = Buffer.from(text.replace(/=+$/, ''), 'base64url');
  }
  if (bytes === undefined || bytes.length !== KEY_BYTES) throw new DualAuthError(KEY_HINT, 'ERR_INVALID_ENCRYPTION_KEY');
  if (bytes.every((byte) => byte === bytes![0])) throw new DualAuthError('encryptionKey must be random, not one repeated byte', 'ERR_INVALID_ENCRYPTION_KEY');
  return bytes;
}

export class TokenSealer {
  readonly #encryptionKey: Buffer;
  readonly #namingKey: Buffer;

  constructor(key: Buffer) {
    this.#encryptionKey = derive(key, 'dual-auth redis token cache: values');
    this.#namingKey = derive(key, 'dual-auth redis token cache: key names');
  }

  /** The digest that names `material` in Redis (base64url HMAC-SHA-256). */
  name(material: string): string {
    return createHmac('sha256', this.#namingKey).update(material).digest('base64url');
  }

  seal(plaintext: string, redisKey: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#encryptionKey, iv);
    cipher.setAAD(Buffer.from(redisKey));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return FORMAT + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The plaintext, or undefined when `sealed` was not sealed under this key for this Redis key. */
  open(sealed: unknown, redisKey: string): string | undefined {
    if (typeof sealed !== 'string' || !sealed.startsWith(FORMAT)) return undefined;
    const data = Buffer.from(sealed.slice(FORMAT.length), 'base64url');
    if (data.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#encryptionKey, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(redisKey));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

function derive(key: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, KEY_BYTES));
}
