/**
 * Every error this package throws on purpose is a `DualAuthError` with a stable
 * string `code`. Messages never carry secrets, tokens, assertions, emails or names.
 */

/** Stable error codes. Add freely; never rename or reuse one. */
export type DualAuthErrorCode =
  // bad arguments (the Python ValueErrors)
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_ACT'
  | 'ERR_INSECURE_URL'
  | 'ERR_KEY_LOAD'
  // configuration and secrets
  | 'ERR_CONFIGURATION'
  | 'ERR_SECRETS_BACKEND'
  | 'ERR_SECRET_MISSING'
  | 'ERR_BACKEND_UNAVAILABLE'
  // token requests
  | 'ERR_TOKEN_REQUEST'
  | 'ERR_TOKEN_HTTP'
  | 'ERR_TOKEN_RESPONSE'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  // act JWT verification (out-of-session)
  | 'ERR_ACT_EXPIRED'
  | 'ERR_ACT_AUDIENCE'
  | 'ERR_ACT_SIGNATURE'
  | 'ERR_ACT_INVALID'
  | 'ERR_ACT_REPLAY'
  | 'ERR_ACT_MISSING_SUB'
  | 'ERR_ACT_ISSUER'
  // shared stores (dual-auth/redis)
  | 'ERR_REPLAY_STORE_UNAVAILABLE'
  | 'ERR_TOKEN_STORE_UNAVAILABLE'
  | 'ERR_INVALID_ENCRYPTION_KEY'
  // resource-server verification
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NO_ACT'
  | 'ERR_ACT_ASSERTION_INVALID'
  | 'ERR_ACT_ASSERTION_MISSING'
  | 'ERR_ACT_ASSERTION_AGENT_MISMATCH'
  | 'ERR_ACT_ASSERTION_REPLAY'
  // resource-server verification: token layouts (docs/delegation.md)
  | 'ERR_TOKEN_LAYOUT'
  | 'ERR_TOKEN_AGENT_ONLY'
  | 'ERR_TOKEN_NOT_DELEGATED'
  | 'ERR_TOKEN_AGENT_NOT_ALLOWED'
  | 'ERR_JWKS_UNAVAILABLE'
  | 'ERR_FORBIDDEN'
  // optional dependencies, local IAM, demo and CLI
  | 'ERR_DEPENDENCY_MISSING'
  | 'ERR_LOCAL_IAM_LISTEN'
  | 'ERR_DEMO'
  | 'ERR_AGENT'
  | 'ERR_NOT_FOUND'
  | 'ERR_INTERNAL';

export interface DualAuthErrorOptions {
  cause?: unknown;
  /**
   * What the user can do about it, in plain words (shown by `dual-auth doctor`). Default is the
   * `hint` of `cause` when that is a DualAuthError, so a hint set deep down (an untrusted TLS
   * certificate) reaches the error the caller sees.
   */
  hint?: string;
}

// The key under which each branded class keeps its brand symbol (see `brandError`).
const kBrand = Symbol.for('dual-auth.error.brand');

/**
 * Makes `instanceof cls` hold for instances made by any copy of this package: the ESM and the
 * CJS build of one install (the dual-package hazard), or two installs. As undici does: the
 * prototype carries a `Symbol.for` brand, and `instanceof` checks the brand, not the prototype.
 * Classes without a brand of their own (an application's subclass) keep the ordinary check.
 */
export function brandError(cls: abstract new (...args: never[]) => DualAuthError, name: string): void {
  const brand = Symbol.for(`dual-auth.error.${name}`);
  Object.defineProperty(cls, kBrand, { value: brand });
  // The bundler renames a class that refers to itself (`class _DualAuthError`), and `name`
  // (the constructor's, copied to each error) would print that: the public name instead.
  Object.defineProperty(cls, 'name', { value: name, configurable: true });
  Object.defineProperty(cls.prototype, brand, { value: true });
}

export class DualAuthError extends Error {
  readonly code: DualAuthErrorCode | (string & {});
  /** What to do about it, when there is something to say beyond the message (e.g. which CA to trust). */
  declare readonly hint: string | undefined;

  static {
    brandError(this, 'DualAuthError');
  }

  static override [Symbol.hasInstance](instance: unknown): boolean {
    const brand: unknown = Object.hasOwn(this, kBrand) ? (this as unknown as Record<symbol, unknown>)[kBrand] : undefined;
    if (typeof brand !== 'symbol') return Function.prototype[Symbol.hasInstance].call(this, instance);
    return typeof instance === 'object' && instance !== null && (instance as Record<symbol, unknown>)[brand] === true;
  }

  constructor(message: string, code: DualAuthErrorCode | (string & {}) = 'ERR_INVALID_ARGUMENT', options?: DualAuthErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    const hint = options?.hint ?? (options?.cause instanceof DualAuthError ? options.cause.hint : undefined);
    // An own property only when there is one: an error without a hint prints as before.
    if (hint !== undefined) this.hint = hint;
  }
}

/** Invalid or incomplete configuration (Python `ConfigurationError`). */
export class ConfigurationError extends DualAuthError {
  static {
    brandError(this, 'ConfigurationError');
  }

  constructor(message: string, code: DualAuthErrorCode = 'ERR_CONFIGURATION', options?: DualAuthErrorOptions) {
    super(message, code, options);
  }
}

/** A secrets backend failed or a required secret is missing (Python `SecretsBackendError`). */
export class SecretsBackendError extends DualAuthError {
  static {
    brandError(this, 'SecretsBackendError');
  }

  /** The backend's name, as in the Python package: 'environment', 'aws', 'gcp', 'azure', 'vault'. */
  readonly backend: string;

  constructor(message: string, backend: string, options?: DualAuthErrorOptions & { code?: DualAuthErrorCode }) {
    super(message, options?.code ?? 'ERR_SECRETS_BACKEND', options);
    this.backend = backend;
  }
}

/**
 * A token request failed. `message` is the Python message; `toString()` gives the
 * Python `str(error)` form: "Token request failed (HTTP 401): ...".
 */
export class TokenRequestError extends DualAuthError {
  static {
    brandError(this, 'TokenRequestError');
  }

  /** The IAM's HTTP status, when it answered. */
  readonly statusCode: number | undefined;
  /** The OAuth `error` code the IAM answered (e.g. 'invalid_scope'), when it sent one. */
  readonly iamError: string | undefined;
  /** The IAM's `error_description`, cut to 200 characters. Kept out of `message`: it is the IAM's text, not ours. */
  readonly iamErrorDescription: string | undefined;

  constructor(
    message: string,
    statusCode?: number,
    options?: DualAuthErrorOptions & { code?: DualAuthErrorCode; iamError?: string; iamErrorDescription?: string },
  ) {
    super(message, options?.code ?? (statusCode === undefined ? 'ERR_TOKEN_REQUEST' : 'ERR_TOKEN_HTTP'), options);
    this.statusCode = statusCode;
    this.iamError = options?.iamError;
    this.iamErrorDescription = options?.iamErrorDescription;
  }

  override toString(): string {
    return this.statusCode
      ? `Token request failed (HTTP ${this.statusCode}): ${this.message}`
      : `Token request failed: ${this.message}`;
  }
}

/** An out-of-session act JWT failed verification. The message is the Python one. */
export class ActVerificationError extends DualAuthError {
  static {
    brandError(this, 'ActVerificationError');
  }

  constructor(message: string, code: DualAuthErrorCode = 'ERR_ACT_INVALID', options?: DualAuthErrorOptions) {
    super(message, code, options);
  }
}

/**
 * A key could not be loaded (`ERR_KEY_LOAD`). The message is the reference's ("Cannot load
 * private key: FileNotFoundError"); `path` names the file when the key was given by path (a
 * path is not a secret; the key never appears in an error), and `hint` says what to check.
 */
export class KeyLoadError extends DualAuthError {
  static {
    brandError(this, 'KeyLoadError');
  }

  /** The key file, when the key was named by its path. */
  readonly path: string | undefined;

  constructor(message: string, options?: DualAuthErrorOptions & { path?: string }) {
    super(message, 'ERR_KEY_LOAD', options);
    this.path = options?.path;
  }
}

/** The class name of an unknown thrown value, as Python's `e.__class__.__name__`. */
export function errorClassName(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor.name || 'Error';
  return typeof error;
}
