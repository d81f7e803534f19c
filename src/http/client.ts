/**
 * The one HTTP layer. Every adapter, API call and JWKS fetch goes through it:
 * HTTPS only, a deadline per attempt and one for all attempts, AbortSignal,
 * bounded retries as a retry policy allows (src/http/retry-policy.ts) with
 * exponential backoff + jitter that honours Retry-After, keep-alive pooling,
 * private CAs through `ca`.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { DualAuthError } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { NON_NEGATIVE, POSITIVE, POSITIVE_INTEGER, integerBetween, numberOption } from '../options.js';
import { HttpError, toHttpError } from './errors.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
import { mayRetry, resolveRetryPolicy, type RetryPolicy, type RetryPolicyName } from './retry-policy.js';
import { endpointKind } from './loopback.js';
import { externalPool, sharedPool, type ConnectionPool } from './pool.js';
import type { CaOption } from './tls.js';

export interface HttpClientOptions {
  /**
   * Deadline of one attempt, from the first byte sent to the last byte of the answer
   * (connect, TLS handshake, headers and body together): a server that drips its answer
   * fails with ERR_TIMEOUT at this point. Default is 10000 (10 seconds).
   */
  timeoutMs?: number;
  /**
   * Deadline of the whole request, every attempt and every wait between them included.
   * A retry or a Retry-After wait that would end past it is not made: the last answer is
   * returned (or the last failure thrown); an attempt running when it passes fails with
   * ERR_TIMEOUT. Default is 3 × `timeoutMs` (30000, 30 seconds, with the default `timeoutMs`).
   */
  deadlineMs?: number;
  /** Retries after the first attempt on 429/500/502/503/504 and connection failures (0 to 10). Default is 3 (retries). */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter. Default is 250 (milliseconds). */
  backoffMs?: number;
  /** A Retry-After longer than this is not waited for: the answer is returned as is. Default is 10000 (10 seconds). */
  maxRetryAfterMs?: number;
  /** Largest response body read; a larger one fails the request. Default is 10485760 (10 MiB). */
  maxResponseBytes?: number;
  /** Extra trusted CA certificate(s), PEM. Public roots and NODE_EXTRA_CA_CERTS stay trusted. */
  ca?: CaOption;
  /** pino-compatible logger (retries are logged as warnings, without query strings). Default is silent. */
  logger?: LoggerLike;
  /** An undici dispatcher of your own (proxy, custom pool). Overrides `ca`. */
  dispatcher?: Dispatcher;
  /**
   * Which answers and failures are retried, for which methods (see RETRY_POLICIES).
   * 'idempotent': RFC 9110's idempotent methods are retried on 429/500/502/503/504 and
   * after a connection reset; POST and PATCH only on 429, on 503 with Retry-After, on a
   * connection failure before the request was sent, or with an `Idempotency-Key` header.
   * 'reference': as the Python package, POST is also retried on 500/502/503/504.
   * Default is 'idempotent'.
   */
  retryPolicy?: RetryPolicy | RetryPolicyName;
  /**
   * Caps the retries of this client as a share of its requests (a token bucket, as
   * Finagle's RetryBudget and gRPC's retry throttling): each request earns `ratio` of
   * a retry, `minPerSecond` retries a second are always allowed. Under a storm of 5xx
   * or failures, 200 callers of one client then add 20 % to the load instead of
   * tripling it; a retry the budget refuses returns the last answer (or throws the
   * last failure) at once. `false` turns it off. Default is { ratio: 0.2, minPerSecond: 10 }.
   */
  retryBudget?: RetryBudgetOptions | false;
  /**
   * Also accept `http://` URLs to a loopback address (127.0.0.0/8, ::1, localhost): local
   * emulators of a secrets store. Any other `http://` URL is still refused. Default is false.
   */
  allowHttpToLoopback?: boolean;
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
  /** Retry this request at all (as its retry policy allows). Default is true. */
  retry?: boolean;
  /** The retry policy of this request. Default is the client's `retryPolicy`. */
  retryPolicy?: RetryPolicy | RetryPolicyName;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Number of attempts made (1 = no retry). */
  attempts: number;
}

const RETRIES = integerBetween(0, 10);

/** With the default timeoutMs: 30 s for the whole request, retries and waits included. */
const DEADLINE_TIMEOUTS = 3;

const DEFAULTS = {
  timeoutMs: 10_000,
  retries: 3,
  backoffMs: 250,
  maxRetryAfterMs: 10_000,
  maxResponseBytes: 10 * 1024 * 1024,
};

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

/**
 * The abort of one attempt (its deadline, or the caller's signal). An EventEmitter, which
 * undici takes as a request's `signal` as it takes an AbortSignal: an AbortController and
 * its EventTarget listeners cost several microseconds per request (issue 13).
 */
class AttemptAbort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }

  /**
   * Settles with `work`, or rejects as soon as the attempt is aborted: the caller is released at
   * once even when the work cannot be interrupted (a stalled TLS handshake, nodejs/undici#2362).
   */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.aborted) {
      work.catch(() => {}); // settles unobserved: must not become an unhandled rejection
      return Promise.reject(new Error('attempt aborted'));
    }
    return new Promise<T>((resolve, reject) => {
      this.once('abort', () => reject(new Error('attempt aborted')));
      work.then(resolve, reject);
    });
  }
}

export class HttpClient {
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly maxResponseBytes: number;
  private readonly pool: ConnectionPool;
  private readonly logger: Logger;
  private readonly retryPolicy: RetryPolicy;
  private readonly retryBudget: RetryBudget | undefined;
  private readonly allowHttpToLoopback: boolean;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = numberOption('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, POSITIVE);
    this.deadlineMs = numberOption('deadlineMs', options.deadlineMs, DEADLINE_TIMEOUTS * this.timeoutMs, POSITIVE);
    this.retries = numberOption('retries', options.retries, DEFAULTS.retries, RETRIES);
    this.backoffMs = numberOption('backoffMs', options.backoffMs, DEFAULTS.backoffMs, NON_NEGATIVE);
    this.maxRetryAfterMs = numberOption('maxRetryAfterMs', options.maxRetryAfterMs, DEFAULTS.maxRetryAfterMs, NON_NEGATIVE);
    this.maxResponseBytes = numberOption('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes, POSITIVE_INTEGER);
    this.pool = options.dispatcher ? externalPool(options.dispatcher) : sharedPool(options.ca, this.timeoutMs);
    this.logger = toLogger(options.logger);
    this.retryPolicy = resolveRetryPolicy(options.retryPolicy ?? 'idempotent');
    this.allowHttpToLoopback = options.allowHttpToLoopback === true;
    this.retryBudget = options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget);
  }

  /** Sends a request, retrying as its retry policy allows; returns the last answer whatever its status. */
  async request(url: string | URL, init: HttpRequest = {}): Promise<HttpResponse> {
    const target = this.allowHttpToLoopback && endpointKind(url) === 'loopback-http' ? new URL(url) : requireHttpsUrl(url);
    const maxAttempts = init.retry === false ? 1 : this.retries + 1;
    const policy = init.retryPolicy === undefined ? this.retryPolicy : resolveRetryPolicy(init.retryPolicy);
    const method = (init.method ?? 'GET').toUpperCase();
    if (init.signal?.aborted) throw new HttpError('aborted', 'aborted by caller');
    const deadline = performance.now() + this.deadlineMs;
    this.retryBudget?.deposit();
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse | undefined;
      let failure: HttpError | undefined;
      // Built outside the try: a failure to build the body is the caller's error, not a transport one.
      const body = typeof init.body === 'function' ? await init.body() : init.body;
      try {
        const timeoutMs = Math.max(1, Math.min(this.timeoutMs, deadline - performance.now()));
        response = await this.attempt(target, method, init, body, attempt, timeoutMs);
      } catch (error) {
        failure = toHttpError(error);
        if (attempt >= maxAttempts || !mayRetry(policy, method, init.headers, { failure: failure.kind })) throw failure;
      }
      const retryAfter = response?.headers['retry-after'];
      if (response && (attempt >= maxAttempts || !mayRetry(policy, method, init.headers, { status: response.status, retryAfter: retryAfter !== undefined }))) {
        return response;
      }
      const delay = response ? this.retryDelay(attempt, retryAfter) : this.backoff(attempt);
      // No wait, and no attempt after it, may end past the deadline; and no retry over the budget: stop with what we have.
      if (delay === undefined || performance.now() + delay >= deadline || (this.retryBudget !== undefined && !this.retryBudget.tryWithdraw())) {
        if (response) return response;
        throw failure as HttpError;
      }
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
    const bodyless = answer.status === 204 || answer.status === 205 || answer.status === 304 || init.method?.toUpperCase() === 'HEAD';
    return new Response(bodyless ? null : answer.body, { status: answer.status, headers: answer.headers });
  }

  /**
   * One exchange, bounded as a whole by `timeoutMs`: undici's own timeouts bound each
   * pause only, so a server sending a byte now and then could hold it for ever. One timer
   * aborts the request (undici then destroys its socket); a caller's abort is forwarded
   * to the same signal. The exchange is also raced against it, so the caller is released
   * at once even when the work cannot be interrupted (a stalled TLS handshake, nodejs/undici#2362).
   */
  private async attempt(target: URL, method: string, init: HttpRequest, body: string | Buffer | undefined, attempt: number, timeoutMs: number): Promise<HttpResponse> {
    const abort = new AttemptAbort();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const caller = init.signal;
    const forwardAbort = (): void => abort.abort();
    caller?.addEventListener('abort', forwardAbort, { once: true });
    if (caller?.aborted) abort.abort(); // aborted while the body was being built
    const release = this.pool.begin(target);
    let answered = false;
    const exchange = async (): Promise<HttpResponse> => {
      // undici is loaded and the pool's Agent made at the first request (./pool.ts, ./undici.ts).
      const { dispatcher, undici } = await this.pool.ready();
      const answer = await undici.request(dispatcher, {
        origin: target.origin,
        path: target.search ? `${target.pathname}${target.search}` : target.pathname,
        // Upper-cased, as the retry policy reads it: HTTP methods are case-sensitive (RFC 9110 §9.1).
        method: method as Dispatcher.HttpMethod,
        headers: init.headers,
        body,
        signal: abort,
      });
      const received = await readBounded(answer, this.maxResponseBytes);
      answered = true;
      return { status: answer.statusCode, headers: flattenHeaders(answer.headers), body: received, attempts: attempt };
    };
    try {
      return await abort.race(exchange());
    } catch (error) {
      if (caller?.aborted) throw new HttpError('aborted', 'aborted by caller', error);
      if (abort.aborted) throw new HttpError('timeout', `no complete answer within ${Math.round(timeoutMs)} ms`, error);
      throw error;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', forwardAbort);
      // Aborted before the answer: a connection still being set up for it is not waited out.
      release(!answered && abort.aborted);
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
    if (asked > this.maxRetryAfterMs) return undefined;
    // Retry-After is a minimum (RFC 9110 §10.2.3): a jitter on top keeps callers told the same
    // moment from coming back all at once.
    return asked + Math.round(Math.random() * this.backoff(attempt));
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

async function readBounded({ body, headers }: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  // A Content-Length within the limit: read at once (undici fails an answer longer than its Content-Length).
  const declared = typeof headers['content-length'] === 'string' ? Number(headers['content-length']) : Number.NaN;
  if (Number.isInteger(declared) && declared <= limit) {
    const bytes = await body.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
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
  for (const name in headers) {
    const value = headers[name];
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
