/** The logged-in human, as the web app knows them. Email and name are PII: never logged. */
export interface UserSessionInit {
  userEmail: string;
  userName?: string | undefined;
  /** The IAM user id (preferred as act.sub). */
  userId?: string | undefined;
}

export class UserSession {
  readonly userEmail: string;
  readonly userName: string | undefined;
  readonly userId: string | undefined;

  constructor(init: UserSessionInit);
  /** Python-style: `new UserSession(userEmail, userName, userId)`. */
  constructor(userEmail: string, userName?: string, userId?: string);
  constructor(first: UserSessionInit | string, userName?: string, userId?: string) {
    const init = typeof first === 'string' ? { userEmail: first, userName, userId } : first;
    this.userEmail = init?.userEmail;
    this.userName = init?.userName;
    this.userId = init?.userId;
  }
}
