/**
 * DEMO ONLY: a minimal signed session cookie standing in for your web
 * framework's session (Flask's `session`, express-session, ...) after a real
 * OIDC login. The cookie holds the user's IAM id, email and name, signed with
 * HMAC-SHA256 under SESSION_SECRET and checked in constant time; it expires
 * after an hour. It is not encrypted: in a real app keep the session server side.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

const COOKIE = 'demo_session';
const MAX_AGE_SECONDS = 3600;

export class SessionCookies {
  readonly #secret: Buffer;

  /** `secret`: SESSION_SECRET (the guide's FLASK_SECRET_KEY). Without one, a random per-process key. */
  constructor(secret: string | undefined) {
    this.#secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
    if (this.#secret.length < 16) throw new Error('SESSION_SECRET must be at least 16 characters');
  }

  /** The Set-Cookie value that logs `user` in. */
  issue(user: SessionUser): string {
    const payload = Buffer.from(JSON.stringify({ user, exp: Math.floor(Date.now() / 1000) + MAX_AGE_SECONDS })).toString('base64url');
    return `${COOKIE}=${payload}.${this.sign(payload)}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${MAX_AGE_SECONDS}`;
  }

  /** The Set-Cookie value that logs out. */
  clear(): string {
    return `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0`;
  }

  /** The logged-in user from a Cookie header, or undefined (no cookie, bad signature, expired, malformed). */
  read(cookieHeader: string | undefined): SessionUser | undefined {
    const raw = cookieHeader
      ?.split(';')
      .map((part) => part.trim())
      .find((part) => part.startsWith(`${COOKIE}=`))
      ?.slice(COOKIE.length + 1);
    if (!raw || raw.length > 4096) return undefined;
    const [payload, signature] = raw.split('.');
    if (!payload || !signature) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const { user, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { user?: SessionUser; exp?: number };
      if (typeof exp !== 'number' || exp < Date.now() / 1000) return undefined;
      if (!user || typeof user.id !== 'string' || typeof user.email !== 'string' || typeof user.name !== 'string') return undefined;
      return user;
    } catch {
      return undefined;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
