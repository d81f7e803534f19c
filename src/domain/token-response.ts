import { inspect } from 'node:util';
import { REDACTED } from './redaction.js';

export interface TokenResponseInit {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  scope: string;
  actAssertion?: string | undefined;
}

/**
 * A token from the IAM. The access token and act assertion are SENSITIVE:
 * `util.inspect`, `toString` and `toJSON` show them redacted, and they are
 * private fields read through getters, so a `{ ...token }` copy does not carry them.
 */
export class TokenResponse {
  readonly #accessToken: string;
  readonly tokenType: string;
  readonly expiresIn: number;
  readonly scope: string;
  readonly #actAssertion: string | undefined;

  constructor(init: TokenResponseInit) {
    this.#accessToken = init.accessToken;
    this.tokenType = init.tokenType;
    this.expiresIn = init.expiresIn;
    this.scope = init.scope;
    this.#actAssertion = init.actAssertion;
  }

  get accessToken(): string {
    return this.#accessToken;
  }

  /** EntraID only: the app-signed act assertion, sent as `X-Act-Assertion`. */
  get actAssertion(): string | undefined {
    return this.#actAssertion;
  }

  /** The printable form, as the Python `repr`. */
  toString(): string {
    return (
      `TokenResponse(token_type=${this.tokenType}, expires_in=${this.expiresIn}, scope=${this.scope}, ` +
      `access_token=${REDACTED}, act_assertion=${this.actAssertion ? REDACTED : 'None'})`
    );
  }

  toJSON(): Record<string, unknown> {
    return {
      tokenType: this.tokenType,
      expiresIn: this.expiresIn,
      scope: this.scope,
      accessToken: REDACTED,
      actAssertion: this.actAssertion ? REDACTED : undefined,
    };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
