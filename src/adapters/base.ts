/**
 * BaseAdapter: everything the four vendors share. A vendor adapter states only
 * what differs: its name and error texts (a VendorProfile), the forms it posts
 * (client credentials, token exchange), and, for EntraID, what it adds to the answer.
 */
import { DualAuthError, TokenRequestError } from '../errors.js';
import { HttpClient, requireHttpsUrl, urlForLogging, type HttpClientOptions } from '../http/client.js';
import { HttpError } from '../http/errors.js';
import { silentLogger, toLogger, type Logger, type LoggerLike } from '../logging.js';
import { actForLogging, validateAct, type Act } from '../domain/act.js';
import { normaliseAdapterConfig, type AdapterConfigInput, type NormalisedAdapterConfig } from './config-input.js';
import { TokenResponse, type TokenResponseInit } from '../domain/token-response.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE, checkDelegationInput, parseDelegation, refuseUnused, type Delegation, type ExchangeRequest } from './delegation.js';
import { SPANS, traced, type SpanAttributes, type SpanRecorder } from '../telemetry/index.js';
import { inspect } from 'node:util';

export interface AdapterOptions extends Pick<HttpClientOptions, 'timeoutMs' | 'deadlineMs' | 'retries' | 'retryBudget' | 'backoffMs' | 'maxRetryAfterMs' | 'ca' | 'dispatcher'> {
  logger?: LoggerLike;
  /** Share one HTTP client (and its pool) between adapters; wins over the HTTP options above. */
  httpClient?: HttpClient;
  /**
   * Who vouches for the person (docs/delegation.md). 'act': the agent names the person in
   * its client assertion (the reference). 'token-exchange': the IAM issues the token from the
   * person's own token (`subjectToken`), with the vendor's documented exchange request.
   * 'assertion': an agent-only token, plus the application's signed act assertion
   * (`actAssertion`) forwarded unchanged as `X-Act-Assertion`. Default is 'act'.
   */
  delegation?: Delegation;
}

export interface TokenRequestParams {
  /** The agent's client id (`iss`/`sub` of the client assertion). */
  agentId: string;
  /**
   * The human the agent acts for; `sub` required. Required with delegation 'act', where it is
   * the person the IAM puts in the token. With 'token-exchange' and 'assertion' it is optional
   * and never sent: the person comes from `subjectToken` or `actAssertion`, and `act`, when
   * given, only names in this library's log lines (IAM ids only) whom the caller believes it acts for.
   */
  act?: Act;
  /** Requested scopes (a list, or one space-separated string). */
  scope: readonly string[] | string;
  /** Delegation 'token-exchange': the person's own token (SENSITIVE: never logged). */
  subjectToken?: string;
  /** Its RFC 8693 token type. Default is urn:ietf:params:oauth:token-type:access_token. */
  subjectTokenType?: string;
  /** Delegation 'assertion': the application's signed act assertion, forwarded unchanged (SENSITIVE). */
  actAssertion?: string;
  signal?: AbortSignal;
}

/** What differs per vendor in messages and defaults (the Python texts). */
export interface VendorProfile {
  /** As in messages: 'Keycloak', 'Auth0', 'Okta', 'EntraID'. */
  name: string;
  defaultExpiresIn: number;
  /** The Accept header: the reference sends application/json, except for EntraID (requests' default, *\/\*). */
  accept: string;
  statusMessages: Partial<Record<number, string>>;
  otherStatusMessage(status: number, iamError: string): string;
  networkMessage(errorClass: string): string;
}

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export abstract class BaseAdapter {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly audience: string | undefined;
  /** Who vouches for the person: the `delegation` option. */
  readonly delegation: Delegation;
  protected readonly http: HttpClient;
  protected readonly logger: Logger;
  /** The configuration without the client secret (which only `#clientSecret` holds). */
  protected readonly settings: Omit<NormalisedAdapterConfig, 'clientSecret'>;
  readonly #clientSecret: string;
  /** The headers of every token request (built once; never changed). */
  #formHeaders: Readonly<Record<string, string>> | undefined;
  /** tokenUrl parsed once, at the first request (the reference accepts any https:// string at construction). */
  #tokenEndpoint: URL | undefined;
  /** The token request span's fixed attributes, built at the first traced request. */
  #spanAttributes: SpanAttributes | undefined;

  protected constructor(
    config: AdapterConfigInput,
    options: AdapterOptions,
    protected readonly profile: VendorProfile,
    /** False when the client authenticates with a private key instead (private_key_jwt). */
    requireClientSecret = true,
  ) {
    const settings = normaliseAdapterConfig(config);
    const required = requireClientSecret ? (['tokenUrl', 'clientId', 'clientSecret'] as const) : (['tokenUrl', 'clientId'] as const);
    const missing = required
      .filter((field) => settings[field] === undefined)
      .map((field) => ({ tokenUrl: 'token_url', clientId: 'client_id', clientSecret: 'client_secret' })[field]);
    this.logger = toLogger(options.logger);
    if (missing.length > 0) {
      this.logger.error({ event: 'adapter_init_failed', missing_fields: missing }, 'Missing required configuration fields');
      throw new DualAuthError(`Missing required configuration: ${missing.join(', ')}`, 'ERR_CONFIGURATION');
    }
    if (!settings.tokenUrl!.startsWith('https://')) {
      this.logger.error({ event: 'insecure_token_url', token_url_scheme: settings.tokenUrl!.split(':')[0] }, 'Token URL must use HTTPS for security');
      throw new DualAuthError('Token URL must use HTTPS (https://)', 'ERR_INSECURE_URL');
    }
    const { clientSecret, ...withoutSecret } = settings;
    this.settings = withoutSecret;
    this.tokenUrl = settings.tokenUrl!;
    this.clientId = settings.clientId!;
    this.#clientSecret = clientSecret ?? '';
    this.audience = settings.audience;
    this.delegation = parseDelegation(options.delegation);
    this.http = options.httpClient ?? new HttpClient(options);
  }

  /** Only subclasses read the secret: to sign an assertion or post it. */
  protected get clientSecret(): string {
    return this.#clientSecret;
  }

  /**
   * The form fields of the client credentials request (in the Python order: the bytes match).
   * `act` is undefined for an agent-only request (delegation 'assertion').
   */
  protected abstract buildForm(agentId: string, act: Act | undefined, scopes: readonly string[]): Promise<Record<string, string>>;

  /** The form fields of the vendor's documented token exchange request (delegation 'token-exchange'). */
  protected abstract buildExchangeForm(request: ExchangeRequest): Promise<Record<string, string>>;

  /** The `scope` of the answer when the IAM sends none. */
  protected defaultScope(scopes: readonly string[]): string {
    return scopes.join(' ');
  }

  /** Whether the vendor's exchange request can carry a subject token of this type (all can, except EntraID's On-Behalf-Of). */
  protected acceptsSubjectTokenType(_subjectTokenType: string): boolean {
    return true;
  }

  /** Hook for what a vendor adds to a successful answer (EntraID: the act assertion). */
  protected async completeResponse(token: TokenResponseInit, _act: Act): Promise<TokenResponseInit> {
    return token;
  }

  /**
   * The error `requestToken` rejects with when its `signal` aborts, for a caller that stops waiting
   * for a token request it shares with others (the token cache): the request itself goes on for them.
   */
  abortedError(reason?: unknown): TokenRequestError {
    return new TokenRequestError(this.profile.networkMessage('AbortError'), undefined, { code: 'ERR_ABORTED', cause: reason });
  }

  /** Requests a dual-subject token. Also callable Python-style: `requestToken(agentId, act, scope)`. */
  async requestToken(params: TokenRequestParams): Promise<TokenResponse>;
  async requestToken(agentId: string, act: Act, scope: readonly string[] | string, options?: { signal?: AbortSignal }): Promise<TokenResponse>;
  async requestToken(
    first: TokenRequestParams | string,
    act?: Act,
    scope?: readonly string[] | string,
    options?: { signal?: AbortSignal },
  ): Promise<TokenResponse> {
    const params: TokenRequestParams = typeof first === 'string' ? { agentId: first, act: act as Act, scope: scope ?? [], signal: options?.signal } : first;
    return traced(SPANS.tokenRequest, (this.#spanAttributes ??= tokenRequestSpanAttributes(this.profile.name, this.delegation)), (span) => this.#requestToken(params, span));
  }

  async #requestToken(params: TokenRequestParams, span: SpanRecorder | undefined): Promise<TokenResponse> {
    if (params === null || typeof params !== 'object') throw new DualAuthError('requestToken needs { agentId, act, scope }', 'ERR_INVALID_ARGUMENT');
    refuseUnused(this.delegation, params);
    if (this.delegation === 'act' || params.act !== undefined) validateAct(params.act);
    span?.identity(params.agentId, params.act?.sub);
    const scopes = normaliseScopes(params.scope);
    const request = this.prepare(params, scopes);
    const logging = this.logger !== silentLogger; // log objects are built only for a real logger
    if (logging) {
      this.logger.info(
        {
          event: 'token_request_start',
          agent_id: params.agentId,
          ...(this.delegation === 'act' ? {} : { delegation: this.delegation, ...request.logFields }),
          ...(params.act === undefined ? {} : { act: actForLogging(params.act) }),
          scope: scopes,
          adapter_type: this.constructor.name,
        },
        'Token request initiated',
      );
    }
    try {
      // Built per attempt: a retry carries a freshly signed client assertion (a new jti), which an
      // IAM that records assertion ids (Keycloak: "Token reuse detected") accepts.
      const body = await this.post(async () => encodeForm(await request.form()), params.signal, span);
      const token = await request.complete(this.parseSuccess(body, scopes));
      const response = new TokenResponse(token);
      if (logging) {
        this.logger.info(
          {
            event: 'token_request_success',
            token_type: response.tokenType,
            expires_in: response.expiresIn,
            scope: response.scope,
            has_act_assertion: response.actAssertion !== undefined,
          },
          'Token request successful',
        );
      }
      return response;
    } catch (error) {
      const failure = error instanceof TokenRequestError ? error : this.unexpected(error);
      this.logger.error(
        { event: 'token_request_error', error_type: failure.name, code: failure.code, status_code: failure.statusCode, adapter_type: this.constructor.name },
        'Token request failed',
      );
      throw failure;
    }
  }

  /** The form and the completion of one request, per delegation mode (inputs checked here, before any I/O). */
  private prepare(params: TokenRequestParams, scopes: readonly string[]): PreparedRequest {
    const input = checkDelegationInput(this.delegation, params);
    switch (input.delegation) {
      case 'token-exchange': {
        const { subjectToken, subjectTokenType } = input;
        if (!this.acceptsSubjectTokenType(subjectTokenType)) {
          throw new DualAuthError(`${this.profile.name} token exchange takes an access token only (subjectTokenType ${ACCESS_TOKEN_TYPE})`, 'ERR_INVALID_ARGUMENT');
        }
        return {
          form: () => this.buildExchangeForm({ agentId: params.agentId, subjectToken, subjectTokenType, scopes }),
          complete: async (token) => token,
          logFields: { subject_token_type: subjectTokenType },
        };
      }
      case 'assertion': {
        // The agent holds no key that can sign a person: it asks for an agent-only token and
        // carries the application's assertion as it came.
        const { actAssertion } = input;
        return { form: () => this.buildForm(params.agentId, undefined, scopes), complete: async (token) => ({ ...token, actAssertion }), logFields: {} };
      }
      default:
        return {
          form: () => this.buildForm(params.agentId, params.act, scopes),
          complete: (token) => this.completeResponse(token, params.act as Act),
          logFields: {},
        };
    }
  }

  /** POSTs the form (encoded anew for each attempt); returns the 200 body or throws the vendor's TokenRequestError. */
  private async post(form: () => Promise<string>, signal: AbortSignal | undefined, span?: SpanRecorder): Promise<Buffer> {
    const headers = (this.#formHeaders ??= { 'content-type': FORM_CONTENT_TYPE, accept: this.profile.accept });
    let answer;
    try {
      this.#tokenEndpoint ??= requireHttpsUrl(this.tokenUrl, 'Token URL must use HTTPS (https://)');
      // Retried as the reference does (429/500/502/503/504), although POST is not idempotent: a
      // token request's only effect is a token issued, and a second one is harmless (the first,
      // never received, expires unused). Each attempt signs a new assertion, so an IAM that
      // refuses a reused jti accepts the retry. A connection reset after sending is not retried.
      answer = await this.http.request(this.#tokenEndpoint, { method: 'POST', headers, body: form, signal, retryPolicy: 'reference' });
    } catch (error) {
      if (error instanceof HttpError) {
        throw new TokenRequestError(this.profile.networkMessage(error.pythonName), undefined, { code: error.code as never, cause: error });
      }
      throw error;
    }
    span?.set({ 'http.response.status_code': answer.status, 'http.request.resend_count': answer.attempts - 1 });
    if (answer.status !== 200) throw this.statusError(answer.status, answer.body);
    return answer.body;
  }

  private statusError(status: number, body: Buffer): TokenRequestError {
    let iamError = 'parse_error';
    let iamErrorDescription: string | undefined;
    try {
      const data = JSON.parse(body.toString('utf8')) as { error?: unknown; error_description?: unknown };
      iamError = typeof data?.error === 'string' ? data.error : 'unknown_error';
      if (typeof data?.error_description === 'string') iamErrorDescription = data.error_description.slice(0, 200);
    } catch {
      // Not JSON: keep 'parse_error' as the reference does.
    }
    this.logger.error({ event: 'token_error_response', vendor: this.profile.name, status_code: status, error_type: iamError }, `${this.profile.name} returned error response`);
    // The reference texts speak of client assertions; a refused exchange names the IAM's error code instead.
    const message =
      this.delegation === 'token-exchange'
        ? `${this.profile.name} refused the token exchange (HTTP ${status}): ${iamError}`
        : (this.profile.statusMessages[status] ?? this.profile.otherStatusMessage(status, iamError));
    return new TokenRequestError(message, status, { iamError, ...(iamErrorDescription === undefined ? {} : { iamErrorDescription }) });
  }

  private parseSuccess(body: Buffer, scopes: readonly string[]): TokenResponseInit {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw this.invalidResponse('JSONDecodeError', error);
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw this.invalidResponse('TypeError');
    const accessToken = data.access_token;
    if (accessToken === undefined) throw this.invalidResponse('KeyError');
    if (typeof accessToken !== 'string' || accessToken.length === 0) throw this.invalidResponse('ValueError');
    return {
      accessToken,
      tokenType: typeof data.token_type === 'string' ? data.token_type : 'Bearer',
      expiresIn: toSeconds(data.expires_in) ?? this.profile.defaultExpiresIn,
      scope: typeof data.scope === 'string' ? data.scope : this.defaultScope(scopes),
    };
  }

  private invalidResponse(errorClass: string, cause?: unknown): TokenRequestError {
    return new TokenRequestError(`Invalid response from ${this.profile.name}: ${errorClass}`, undefined, { code: 'ERR_TOKEN_RESPONSE', cause });
  }

  private unexpected(error: unknown): TokenRequestError {
    const name = error instanceof Error ? error.name : typeof error;
    return new TokenRequestError(`Unexpected error: ${name}`, undefined, { cause: error });
  }

  /** Releases nothing today (pools are shared); kept so callers can always close an adapter. */
  async close(): Promise<void> {}

  /** Safe to log: no secret. */
  protected describe(): Record<string, unknown> {
    return {
      adapter_type: this.constructor.name,
      client_id: this.clientId,
      token_url: urlForLogging(this.tokenUrl),
      ...(this.delegation === 'act' ? {} : { delegation: this.delegation }),
    };
  }

  /** JSON.stringify shows what identifies the adapter, never its secret or its HTTP pool. */
  toJSON(): Record<string, unknown> {
    return this.describe();
  }

  [inspect.custom](_depth: number, options: object): string {
    return `${this.constructor.name} ${inspect(this.describe(), options)}`;
  }
}

interface PreparedRequest {
  form(): Promise<Record<string, string>>;
  complete(token: TokenResponseInit): Promise<TokenResponseInit>;
  /** Safe to log: no token. */
  logFields: Record<string, unknown>;
}

/** What the token request span says about this adapter (docs/observability.md). */
function tokenRequestSpanAttributes(vendorName: string, delegation: Delegation): SpanAttributes {
  return {
    'dual_auth.vendor': vendorName.toLowerCase(),
    'dual_auth.delegation': delegation,
    'dual_auth.grant_type': delegation === 'token-exchange' ? TOKEN_EXCHANGE_GRANT_TYPE : 'client_credentials',
  };
}

function normaliseScopes(scope: readonly string[] | string | undefined): string[] {
  if (scope === undefined || scope === null) return [];
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (!Array.isArray(scope) || scope.some((item) => typeof item !== 'string')) {
    throw new DualAuthError('scope must be a list of strings', 'ERR_INVALID_ARGUMENT');
  }
  return [...scope];
}

function toSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * application/x-www-form-urlencoded exactly as Python's urlencode (quote_plus):
 * unreserved are A-Z a-z 0-9 _ . - ~, space becomes '+'. (URLSearchParams differs on '*' and '~'.)
 */
export function encodeForm(form: Record<string, string>): string {
  return Object.entries(form)
    .map(([name, value]) => `${quotePlus(name)}=${quotePlus(value)}`)
    .join('&');
}

const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;

function quotePlus(text: string): string {
  if (UNRESERVED.test(text)) return text; // JWTs and most values: nothing to escape
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
