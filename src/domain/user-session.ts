import { inspect } from 'node:util';
import { humanIdForLogging } from './act.js';
import { REDACTED } from './redaction.js';

/** The logged-in human, as the web app knows them. Email and name are PII: never logged. */
export interface UserSessionInit {
  userEmail: string;
  userName?: string | undefined;
  /** The IAM user id (preferred as act.sub). */
  userId?: string | undefined;
  /**
   * The person's own token from their sign-in (an access token addressed to the agent), for
   * delegation 'token-exchange'. SENSITIVE: kept in a private field, never printed or logged.
   */
  subjectToken?: string | undefined;
  /** Its RFC 8693 token type. Default is urn:ietf:params:oauth:token-type:access_token. */
  subjectTokenType?: string | undefined;
}

/**
 * The person the agent acts for. The email and the name are PII, and the id may be an email: all
 * are private fields read through getters, so `util.inspect`, `String`, `JSON.stringify` and a
 * `{ ...session }` copy never show them. The printed form shows the id as logs do (an email-like
 * id pseudonymised); the JSON form holds that id only, so a session serialised and read back
 * cannot pass for a person (it has no email: `extractActFromSession` refuses it).
 */
export class UserSession {
  readonly #userEmail: string;
  readonly #userName: string | undefined;
  readonly #userId: string | undefined;
  readonly #subjectToken: string | undefined;
  readonly #subjectTokenType: string | undefined;

  constructor(init: UserSessionInit);
  /** Python-style: `new UserSession(userEmail, userName, userId)`. */
  constructor(userEmail: string, userName?: string, userId?: string);
  constructor(first: UserSessionInit | string, userName?: string, userId?: string) {
    const init: UserSessionInit = typeof first === 'string' ? { userEmail: first, userName, userId } : first;
    this.#userEmail = init?.userEmail;
    this.#userName = init?.userName;
    this.#userId = init?.userId;
    this.#subjectToken = init?.subjectToken;
    this.#subjectTokenType = init?.subjectTokenType;
  }

  get userEmail(): string {
    return this.#userEmail;
  }

  get userName(): string | undefined {
    return this.#userName;
  }

  /** The IAM user id (preferred as act.sub). */
  get userId(): string | undefined {
    return this.#userId;
  }

  /** The person's own token (delegation 'token-exchange'): pass it as `subjectToken`. */
  get subjectToken(): string | undefined {
    return this.#subjectToken;
  }

  /** The type of `subjectToken`, when the session says. */
  get subjectTokenType(): string | undefined {
    return this.#subjectTokenType;
  }

  /** The printable form, as the Python `repr`, with the PII redacted. */
  toString(): string {
    return `UserSession(user_id=${humanIdForLogging(this.#userId) ?? 'None'}, user_email=${this.#userEmail ? REDACTED : 'None'}, user_name=${this.#userName ? REDACTED : 'None'})`;
  }

  toJSON(): Record<string, unknown> {
    return { userId: humanIdForLogging(this.#userId) };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
