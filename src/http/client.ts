/**
 * The one HTTP layer. Every adapter, API call and JWKS fetch goes through it:
 * HTTPS only, a timeout per attempt, AbortSignal, bounded retries on
 * 429/500/502/503/504 with exponential backoff + jitter that honours
 * Retry-After, keep-alive pooling, private CAs through `ca`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecureContext } from 'node:tls';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { DualAuthError } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { NON_NEGATIVE, POSITIVE, POSITIVE_INTEGER, integerBetween, numberOption } from '../options.js';
import { untilAborted } from './abort.js';
import { HttpError, toHttpError } from './errors.js';
import { buildTrustedCas, type CaOption } from './tls.js';

export interface HttpClientOptions {
  /** Timeout of each phase of an attempt (connect + TLS handshake, response headers, body). Default 10 000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429/500/502/503/504 and connection failures. Default 3. */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default 250 ms. */
  backoffMs?: number;
  /** A Retry-After longer than this is not waited for: the answer is returned as is. Default 10 000 ms. */
  maxRetryAfterMs?: number;
  /** Largest response body read. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Extra trusted CA certificate(s), PEM. Public roots and NODE_EXTRA_CA_CERTS stay trusted. */
  ca?: CaOption;
  logger?: LoggerLike;
  /** An undici dispatcher of your own (proxy, custom pool). Overrides `ca`. */
  dispatcher?: Dispatcher;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  /**
   * The body, or a function called before each attempt that returns it: a token
   * request signs a fresh client assertion (a new `jti`) for every retry.
   */
  body?: string | Buffer | (() => string | Buffer | Promise<string | Buffer>);
  signal?: AbortSignal | undefined;
  /** Retry this request on retryable answers. Default true. */
  retry?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Number of attempts made (1 = no retry). */
  attempts: number;
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

const RETRIES = integerBetween(0, 10);

const DEFAULTS = {
  timeoutMs: 10_000,
  retries: 3,
  backoffMs: 250,
  maxRetryAfterMs: 10_000,
  maxResponseBytes: 10 * 1024 * 1024,
};

// One keep-alive pool per trust configuration, shared by every client that uses it.
const sharedAgents = new Map<string, Agent>();

function agentFor(ca: CaOption | undefined, connectTimeoutMs: number): Agent {
  const key = `${connectTimeoutMs}\n${ca === undefined ? '' : (Array.isArray(ca) ? ca : [ca]).map(String).join('\n')}`;
  let agent = sharedAgents.get(key);
  if (!agent) {
    const trusted = buildTrustedCas(ca);
    agent = new Agent({
      keepAliveTimeout: 10_000,
      connections: 128,
      connect: {
        // Covers TCP connect and the TLS handshake.
        timeout: connectTimeoutMs,
        // One secure context per pool: passing ~150 CAs as `ca` would rebuild it for every TLS connection (12-20 ms CPU).
        ...(trusted ? { secureContext: createSecureContext({ ca: trusted }) } : {}),
      },
    });
    sharedAgents.set(key, agent);
  }
  return agent;
}

/** Throws unless `url` is an absolute https URL. */
export function requireHttpsUrl(url: string | URL, message = 'URL must use HTTPS (https://)'): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new DualAuthError(message, 'ERR_INSECURE_URL');
  }
  if (parsed.protocol !== 'https:') throw new DualAuthError(message, 'ERR_INSECURE_URL');
  return parsed;
}

/** The URL without query or fragment: what may be logged. */
export function urlForLogging(url: string | URL): string {
  const text = String(url);
  const cut = text.search(/[?#]/);
  return cut === -1 ? text : text.slice(0, cut);
}

export class HttpClient {
  readonly timeoutMs: number;
  readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxResponseBytes: number;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = numberOption('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, POSITIVE);
    this.retries = numberOption('retries', options.retries, DEFAULTS.retries, RETRIES);
    this.backoffMs = numberOption('backoffMs', options.backoffMs, DEFAULTS.backoffMs, NON_NEGATIVE);
    this.maxRetryAfterMs = numberOption('maxRetryAfterMs', options.maxRetryAfterMs, DEFAULTS.maxRetryAfterMs, NON_NEGATIVE);
    this.maxResponseBytes = numberOption('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes, POSITIVE_INTEGER);
    this.dispatcher = options.dispatcher ?? agentFor(options.ca, this.timeoutMs);
    this.logger = toLogger(options.logger);
  }

  /** Sends a request, retrying retryable answers; returns the last answer whatever its status. */
  async request(url: string | URL, init: HttpRequest = {}): Promise<HttpResponse> {
    const target = requireHttpsUrl(url);
    const maxAttempts = init.retry === false ? 1 : this.retries + 1;
    if (init.signal?.aborted) throw new HttpError('aborted', 'aborted by caller');
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse | undefined;
      let failure: HttpError | undefined;
      // Built outside the try: a failure to build the body is the caller's error, not a transport one.
      const body = typeof init.body === 'function' ? await init.body() : init.body;
      try {
        response = await this.attempt(target, init, body, attempt);
      } catch (error) {
        failure = toHttpError(error);
        // Only failures where the request surely did not reach the server are retried.
        if (failure.kind !== 'connect' || attempt >= maxAttempts) throw failure;
      }
      if (response && (!RETRYABLE_STATUSES.has(response.status) || attempt >= maxAttempts)) return response;
      const delay = response ? this.retryDelay(attempt, response.headers['retry-after']) : this.backoff(attempt);
      if (delay === undefined) return response as HttpResponse;
      this.logger.warn(
        { event: 'http_retry', url: urlForLogging(target), status: response?.status, error: failure?.kind, attempt, delayMs: delay },
        'Retrying HTTP request',
      );
      try {
        await sleep(delay, undefined, init.signal ? { signal: init.signal } : undefined);
      } catch (error) {
        throw new HttpError('aborted', 'aborted by caller', error);
      }
    }
  }

  /** The same request as a WHATWG `Response`. */
  async fetch(url: string | URL, init: HttpRequest = {}): Promise<Response> {
    const answer = await this.request(url, init);
    const bodyless = answer.status === 204 || answer.status === 205 || answer.status === 304 || init.method === 'HEAD';
    return new Response(bodyless ? null : answer.body, { status: answer.status, headers: answer.headers });
  }

  /**
   * One exchange. Timeouts are undici's own (connect + TLS handshake, headers, body: each
   * at most timeoutMs), which cost no timer or AbortController per request. A caller's
   * signal is passed to undici and raced, so an abort releases the caller at once.
   */
  private async attempt(target: URL, init: HttpRequest, body: string | Buffer | undefined, attempt: number): Promise<HttpResponse> {
    const exchange = async (): Promise<HttpResponse> => {
      const answer = await undiciRequest(target, {
        method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: init.headers,
        body,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(init.signal ? { signal: init.signal } : {}),
      } as Parameters<typeof undiciRequest>[1]);
      const received = await readBounded(answer.body, this.maxResponseBytes);
      return { status: answer.statusCode, headers: flattenHeaders(answer.headers), body: received, attempts: attempt };
    };
    const signal = init.signal;
    if (!signal) return exchange();
    try {
      return await untilAborted(exchange(), signal);
    } catch (error) {
      if (signal.aborted) throw new HttpError('aborted', 'aborted by caller', error);
      throw error;
    }
  }

  private backoff(attempt: number): number {
    const ceiling = this.backoffMs * 2 ** (attempt - 1);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Delay before the next attempt, or undefined when Retry-After asks for longer than we wait. */
  private retryDelay(attempt: number, retryAfter: string | undefined): number | undefined {
    const asked = parseRetryAfter(retryAfter);
    if (asked === undefined) return this.backoff(attempt);
    return asked > this.maxRetryAfterMs ? undefined : asked;
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readBounded(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new HttpError('too-large', `response body over ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * A fetch-compatible function over an HttpClient (e.g. for jose's
 * createRemoteJWKSet `[customFetch]`), trusting `ca`.
 */
export function createFetch(options: HttpClientOptions = {}): (url: string | URL, init?: RequestInit) => Promise<Response> {
  const client = new HttpClient(options);
  return (url, init = {}) =>
    client.fetch(String(url), {
      method: init.method ?? 'GET',
      headers: init.headers ? Object.fromEntries(new Headers(init.headers).entries()) : undefined,
      body: typeof init.body === 'string' ? init.body : undefined,
      signal: init.signal ?? undefined,
    });
}
