/**
 * Calling an API with a dual-subject token. One implementation behind
 * InSessionAPICall and OutOfSessionAPICall (the reference keeps two copies).
 */
import type { TokenResponse } from '../domain/token-response.js';
import { DualAuthError } from '../errors.js';
import { HttpClient, urlForLogging, type HttpClientOptions } from '../http/client.js';
import { resolveRetryPolicy, type RetryPolicy, type RetryPolicyName } from '../http/retry-policy.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { VERSION } from '../version.js';

export interface ApiCallOptions extends Pick<HttpClientOptions, 'timeoutMs' | 'deadlineMs' | 'retries' | 'retryBudget' | 'backoffMs' | 'maxRetryAfterMs' | 'maxResponseBytes' | 'ca' | 'dispatcher'> {
  /** pino-compatible logger (URLs without query strings, never the token). Default is silent. */
  logger?: LoggerLike;
  /** Share one HTTP client (and pool) with other callers; wins over the HTTP options above. */
  httpClient?: HttpClient;
  /**
   * Which calls are sent again, and after what. 'idempotent': GET, HEAD, OPTIONS, PUT and
   * DELETE on 429/500/502/503/504 and after a connection reset; POST and PATCH, which the
   * API may already have acted on, only on 429, on 503 with Retry-After, on a connection
   * failure before the request was sent, or when you set an `Idempotency-Key` header.
   * 'reference': as the Python package, POST is also retried on 500/502/503/504 (a payment
   * may be made twice). Default is 'idempotent' (a difference from the reference:
   * docs/differences.md).
   */
  retryPolicy?: RetryPolicyName | RetryPolicy;
}

export interface CallApiParams {
  apiUrl: string;
  tokenResponse: Pick<TokenResponse, 'accessToken' | 'actAssertion'>;
  /** Default 'GET'. */
  method?: string;
  /** Query-string parameters, appended to apiUrl. */
  params?: Record<string, string | number | boolean | ReadonlyArray<string | number | boolean> | undefined>;
  /** Sent as a JSON body with `Content-Type: application/json`. */
  jsonData?: unknown;
  /** Extra headers; they cannot replace Authorization or X-Act-Assertion. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export abstract class ApiCall {
  protected readonly http: HttpClient;
  protected readonly logger: Logger;
  protected abstract readonly scenario: 'insession' | 'outofsession';
  private readonly retryPolicy: RetryPolicy;

  constructor(options: ApiCallOptions = {}) {
    this.http = options.httpClient ?? new HttpClient(options);
    // Per request, not per client: it holds when the HTTP client is shared.
    this.retryPolicy = resolveRetryPolicy(options.retryPolicy ?? 'idempotent');
    this.logger = toLogger(options.logger);
  }

  /** Calls the API; returns a standard Response whatever its status. Throws on network, TLS or timeout failures. */
  async callApi(params: CallApiParams): Promise<Response> {
    if (params === null || typeof params !== 'object') throw new DualAuthError('callApi needs { apiUrl, tokenResponse }', 'ERR_INVALID_ARGUMENT');
    const { apiUrl, tokenResponse, jsonData, signal } = params;
    const method = (params.method ?? 'GET').toUpperCase();
    if (typeof apiUrl !== 'string' || !apiUrl.startsWith('https://')) {
      this.logger.error({ event: 'insecure_api_url' }, 'API URL must use HTTPS');
      throw new DualAuthError('API URL must use HTTPS', 'ERR_INSECURE_URL');
    }
    if (!tokenResponse || typeof tokenResponse.accessToken !== 'string' || !tokenResponse.accessToken) {
      throw new DualAuthError('tokenResponse with an accessToken is required', 'ERR_INVALID_ARGUMENT');
    }
    const url = withQuery(apiUrl, params.params);
    const headers: Record<string, string> = { 'user-agent': `dual-auth-node/${VERSION}`, accept: '*/*', ...lowerCaseKeys(params.headers) };
    headers.authorization = `Bearer ${tokenResponse.accessToken}`;
    if (tokenResponse.actAssertion) headers['x-act-assertion'] = tokenResponse.actAssertion;
    let body: string | undefined;
    if (jsonData !== undefined) {
      body = JSON.stringify(jsonData);
      headers['content-type'] = 'application/json';
    }
    this.logger.info(
      { event: 'api_call_start', scenario: this.scenario, method, api_url: urlForLogging(url), has_act_assertion: Boolean(tokenResponse.actAssertion) },
      'API call starting',
    );
    try {
      const response = await this.http.fetch(url, { method, headers, body, signal, retryPolicy: this.retryPolicy });
      this.logger.info({ event: 'api_call_complete', scenario: this.scenario, status_code: response.status, method, api_url: urlForLogging(url) }, 'API call completed');
      return response;
    } catch (error) {
      this.logger.error(
        { event: 'api_call_error', scenario: this.scenario, error_type: (error as Error).name, code: (error as DualAuthError).code, api_url: urlForLogging(url) },
        'API call failed',
      );
      throw error;
    }
  }
}

/** In-session: the agent runs inside the web app. */
export class InSessionAPICall extends ApiCall {
  protected readonly scenario = 'insession' as const;
}

/** Out-of-session: the agent runs in its own process; same behaviour. */
export class OutOfSessionAPICall extends ApiCall {
  protected readonly scenario = 'outofsession' as const;
}

function withQuery(apiUrl: string, params: CallApiParams['params']): string {
  if (!params) return apiUrl;
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new DualAuthError('API URL is not a valid URL', 'ERR_INVALID_ARGUMENT');
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url.toString();
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
