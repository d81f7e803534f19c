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

export class UserSession {
  readonly userEmail: string;
  readonly userName: string | undefined;
  readonly userId: string | undefined;
  // Private fields: util.inspect, JSON.stringify and a `{ ...session }` copy never show the token
  // (and a session without one prints as before).
  readonly #subjectToken: string | undefined;
  readonly #subjectTokenType: string | undefined;

  constructor(init: UserSessionInit);
  /** Python-style: `new UserSession(userEmail, userName, userId)`. */
  constructor(userEmail: string, userName?: string, userId?: string);
  constructor(first: UserSessionInit | string, userName?: string, userId?: string) {
    const init: UserSessionInit = typeof first === 'string' ? { userEmail: first, userName, userId } : first;
    this.userEmail = init?.userEmail;
    this.userName = init?.userName;
    this.userId = init?.userId;
    this.#subjectToken = init?.subjectToken;
    this.#subjectTokenType = init?.subjectTokenType;
  }

  /** The person's own token (delegation 'token-exchange'): pass it as `subjectToken`. */
  get subjectToken(): string | undefined {
    return this.#subjectToken;
  }

  /** The type of `subjectToken`, when the session says. */
  get subjectTokenType(): string | undefined {
    return this.#subjectTokenType;
  }
}
