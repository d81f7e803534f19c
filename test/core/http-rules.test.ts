/**
 * The rules of the HTTP layer as data and small functions (issue 16, phase 2: the survivors of
 * src/http): which request may be sent again after which outcome, how a transport failure is
 * classified (and so whether it is retried), which URLs are accepted and what of them is logged,
 * and how Retry-After is read. The behaviour through a real server is in http.test.ts.
 */
import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HttpClient, HttpError, RETRY_POLICIES, RetryBudget, mayRetry, parseRetryAfter, requireHttpsUrl, urlForLogging } from '../../src/http/index.js';
import { toHttpError } from '../../src/http/errors.js';
import { untilAborted } from '../../src/http/abort.js';
import { resolveRetryPolicy } from '../../src/http/retry-policy.js';
import { isLoopbackHost } from '../../src/http/loopback.js';
import { rejection, thrown } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

describe('mayRetry', () => {
  const { idempotent, reference } = RETRY_POLICIES;
  const answer = (status: number, retryAfter = false) => ({ status, retryAfter });

  it("'idempotent': GET, HEAD, OPTIONS, PUT, DELETE, TRACE on 429/500/502/503/504, not on other answers", () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']) {
      for (const status of [429, 500, 502, 503, 504]) expect([method, status, mayRetry(idempotent, method, undefined, answer(status))]).toEqual([method, status, true]);
      for (const status of [200, 400, 401, 404, 501, 505]) expect([method, status, mayRetry(idempotent, method, undefined, answer(status))]).toEqual([method, status, false]);
    }
  });

  it("'idempotent': POST and PATCH only on 429, on 503 with Retry-After, or with an Idempotency-Key header (any case)", () => {
    for (const method of ['POST', 'PATCH']) {
      expect(mayRetry(idempotent, method, undefined, answer(429))).toBe(true);
      expect(mayRetry(idempotent, method, undefined, answer(503, true))).toBe(true);
      expect(mayRetry(idempotent, method, undefined, answer(503))).toBe(false);
      expect(mayRetry(idempotent, method, undefined, answer(502, true))).toBe(false);
      expect(mayRetry(idempotent, method, { 'content-type': 'application/json' }, answer(502))).toBe(false);
      expect(mayRetry(idempotent, method, { 'Idempotency-Key': 'k-1' }, answer(502))).toBe(true);
      expect(mayRetry(idempotent, method, { 'idempotency-key': 'k-1' }, answer(500))).toBe(true);
      expect(mayRetry(idempotent, method, { 'Idempotency-Key': 'k-1' }, answer(400))).toBe(false);
    }
  });

  it("'idempotent': a refused connection is retried for any method; a reset only for an idempotent request", () => {
    for (const method of ['GET', 'POST']) expect(mayRetry(idempotent, method, undefined, { failure: 'connect' })).toBe(true);
    expect(mayRetry(idempotent, 'GET', undefined, { failure: 'reset' })).toBe(true);
    expect(mayRetry(idempotent, 'POST', undefined, { failure: 'reset' })).toBe(false);
    expect(mayRetry(idempotent, 'POST', { 'Idempotency-Key': 'k' }, { failure: 'reset' })).toBe(true);
    for (const failure of ['tls', 'timeout', 'aborted', 'protocol', 'too-large'] as const) {
      expect([failure, mayRetry(idempotent, 'GET', undefined, { failure })]).toEqual([failure, false]);
    }
  });

  it("'reference': as urllib3, POST on 429/500/502/503/504 but not PATCH; no Idempotency-Key rule; a reset is not retried", () => {
    for (const status of [429, 500, 502, 503, 504]) expect(mayRetry(reference, 'POST', undefined, answer(status))).toBe(true);
    expect(mayRetry(reference, 'PATCH', undefined, answer(429))).toBe(false);
    expect(mayRetry(reference, 'PATCH', undefined, answer(503, true))).toBe(false);
    expect(mayRetry(reference, 'PATCH', { 'Idempotency-Key': 'k' }, answer(502))).toBe(false);
    expect(mayRetry(reference, 'POST', undefined, { failure: 'connect' })).toBe(true);
    expect(mayRetry(reference, 'GET', undefined, { failure: 'reset' })).toBe(false);
  });

  it('policies are frozen, lists included', () => {
    expect(Object.isFrozen(idempotent)).toBe(true);
    expect(Object.isFrozen(idempotent.statuses)).toBe(true);
    expect(Object.isFrozen(reference.idempotentMethods)).toBe(true);
  });

  it('resolveRetryPolicy takes a name or a policy object, and refuses anything else', () => {
    expect(resolveRetryPolicy('reference')).toBe(reference);
    const custom = { ...idempotent, statuses: [503] };
    expect(resolveRetryPolicy(custom)).toBe(custom);
    for (const bad of ['toString', 'other', null, {}, { idempotentMethods: 'GET' }]) {
      const error = thrown(() => resolveRetryPolicy(bad as never));
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', `"retryPolicy" must be 'idempotent', 'reference' or a RetryPolicy`]);
    }
  });
});

describe('toHttpError: what a transport failure is', () => {
  const kindOf = (code: string) => toHttpError(Object.assign(new Error('x'), { code }));

  it.each([
    ['ECONNREFUSED', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['ENOTFOUND', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['EAI_AGAIN', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['EHOSTUNREACH', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['ENETUNREACH', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['EADDRNOTAVAIL', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['ENETDOWN', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['EHOSTDOWN', 'connect', 'ERR_NETWORK', 'ConnectionError'],
    ['ECONNRESET', 'reset', 'ERR_NETWORK', 'ConnectionError'],
    ['EPIPE', 'reset', 'ERR_NETWORK', 'ConnectionError'],
    ['ECONNABORTED', 'reset', 'ERR_NETWORK', 'ConnectionError'],
    ['UND_ERR_SOCKET', 'reset', 'ERR_NETWORK', 'ConnectionError'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', 'ERR_TIMEOUT', 'Timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', 'ERR_TIMEOUT', 'Timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', 'ERR_TIMEOUT', 'Timeout'],
    ['CERT_HAS_EXPIRED', 'tls', 'ERR_NETWORK', 'SSLError'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls', 'ERR_NETWORK', 'SSLError'],
    ['UNABLE_TO_GET_ISSUER_CERT', 'tls', 'ERR_NETWORK', 'SSLError'],
    ['EPROTO', 'tls', 'ERR_NETWORK', 'SSLError'],
    ['ERR_TLS_HANDSHAKE_TIMEOUT', 'tls', 'ERR_NETWORK', 'SSLError'],
    ['ERR_SSL_DECRYPTION_FAILED', 'tls', 'ERR_NETWORK', 'SSLError'],
    ['UND_ERR_INVALID_ARG', 'protocol', 'ERR_NETWORK', 'ConnectionError'],
  ])('%s is %s (%s, %s)', (code, kind, errorCode, pythonName) => {
    const error = kindOf(code);
    expect([error.kind, error.code, error.pythonName]).toEqual([kind, errorCode, pythonName]);
    expect(error.message).toContain(code);
  });

  it('an error without a code is classified by its name; an HttpError is kept as it is', () => {
    expect(toHttpError(new TypeError('x')).message).toBe('HTTP request failed (protocol): TypeError');
    expect(toHttpError(undefined).message).toBe('HTTP request failed (protocol): unknown');
    const own = new HttpError('too-large', 'response body over 1 bytes');
    expect(toHttpError(own)).toBe(own);
    expect([own.code, own.pythonName]).toEqual(['ERR_NETWORK', 'ContentTooLarge']);
    expect(new HttpError('aborted', 'x')).toMatchObject({ code: 'ERR_ABORTED', pythonName: 'AbortError' });
  });

  it('a TLS failure carries a hint; others do not', () => {
    expect((kindOf('CERT_HAS_EXPIRED') as { hint?: string }).hint).toBeTruthy();
    expect((kindOf('ECONNREFUSED') as { hint?: string }).hint).toBeUndefined();
  });
});

describe('URLs', () => {
  it('isLoopbackHost: 127.0.0.0/8 written out in full, nothing that merely contains it', () => {
    expect(['127.0.0.255', '127.10.100.1', '127.255.255.255'].every(isLoopbackHost)).toBe(true);
    expect(['evil127.0.0.1', 'a.127.0.0.1', '127.0.0.1.', '127.0.0.1000', '127.0.0', '1127.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('requireHttpsUrl: an absolute https URL (string or URL) passes, parsed; anything else is ERR_INSECURE_URL with the message given', () => {
    expect(requireHttpsUrl('https://iam.example.com/token').href).toBe('https://iam.example.com/token');
    const url = new URL('https://iam.example.com/x');
    expect(requireHttpsUrl(url)).toBe(url);
    for (const bad of ['http://iam.example.com', 'ftp://iam.example.com', '/relative', 'not a url', new URL('http://iam.example.com')]) {
      const error = thrown(() => requireHttpsUrl(bad, 'Token URL must use HTTPS (https://)'));
      expect([String(bad), error.code, error.message]).toEqual([String(bad), 'ERR_INSECURE_URL', 'Token URL must use HTTPS (https://)']);
    }
    expect(thrown(() => requireHttpsUrl('http://x')).message).toBe('URL must use HTTPS (https://)');
  });

  it('urlForLogging drops the query and the fragment, whichever comes first', () => {
    expect(urlForLogging('https://api.example.com/a?token=secret#frag')).toBe('https://api.example.com/a');
    expect(urlForLogging('https://api.example.com/a#frag?x')).toBe('https://api.example.com/a');
    expect(urlForLogging(new URL('https://api.example.com/a?b=1'))).toBe('https://api.example.com/a');
    expect(urlForLogging('https://api.example.com/a')).toBe('https://api.example.com/a');
  });
});

describe('parseRetryAfter', () => {
  it('delta-seconds (trimmed), an HTTP date (never negative), nothing else', () => {
    expect(parseRetryAfter(' 2 ')).toBe(2000);
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 5_000)).toBe(0);
    expect(parseRetryAfter('')).toBeUndefined();
  });
});

describe('untilAborted', () => {
  it('settles with the work, or rejects at the abort (at once when already aborted) with the error asked for', async () => {
    expect(await untilAborted(Promise.resolve(7), new AbortController().signal)).toBe(7);
    await expect(untilAborted(Promise.reject(new Error('work failed')), new AbortController().signal)).rejects.toThrow('work failed');
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(untilAborted(Promise.reject(new Error('unobserved')), aborted)).rejects.toThrow('gone');
    const controller = new AbortController();
    const pending = untilAborted(new Promise(() => {}), controller.signal, () => new Error('stopped'));
    controller.abort();
    await expect(pending).rejects.toThrow('stopped');
  });

  it('the default error is the signal\'s reason', async () => {
    const reason = new Error('gone');
    const error = await untilAborted(Promise.reject(new Error('unobserved')), AbortSignal.abort(reason)).catch((caught: unknown) => caught);
    expect(error).toBe(reason);
    const controller = new AbortController();
    const pending = untilAborted(new Promise(() => {}), controller.signal).catch((caught: unknown) => caught);
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('leaves no listener on the signal: once the work settles, or once it fired', async () => {
    const controller = new AbortController();
    await untilAborted(Promise.resolve(1), controller.signal);
    await untilAborted(Promise.reject(new Error('x')), controller.signal).catch(() => {});
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const pending = untilAborted(new Promise(() => {}), controller.signal).catch(() => {});
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await pending;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('HttpClient through a real server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('sends the method upper-cased (as its retry policy reads it), the path with its query, and flattens repeated answer headers', async () => {
    server.handle((req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      json(res, 200, { method: req.method, url: req.url });
    });
    const answer = await new HttpClient({ ca: server.caCert }).request(server.url('/path?x=1&y=2'), { method: 'get' });
    expect(JSON.parse(answer.body.toString())).toEqual({ method: 'GET', url: '/path?x=1&y=2' });
    expect(answer.headers['set-cookie']).toBe('a=1, b=2');
    expect(answer.attempts).toBe(1);
  });

  it('retry: false makes one attempt whatever the policy', async () => {
    let calls = 0;
    server.handle((_, res) => (calls++, json(res, 503, {})));
    const answer = await new HttpClient({ ca: server.caCert, backoffMs: 1 }).request(server.url('/once'), { retry: false });
    expect([answer.status, answer.attempts, calls]).toEqual([503, 1, 1]);
  });

  it('a body without Content-Length is read in chunks, within the limit and over it', async () => {
    server.handle((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a'.repeat(600));
      setTimeout(() => res.end('b'.repeat(600)), 20);
    });
    const answer = await new HttpClient({ ca: server.caCert }).request(server.url('/chunked'));
    expect(answer.body.toString()).toBe('a'.repeat(600) + 'b'.repeat(600));
    const error = await rejection(new HttpClient({ ca: server.caCert, maxResponseBytes: 1000 }).request(server.url('/chunked')));
    expect([(error as HttpError).kind, error.message]).toEqual(['too-large', 'HTTP request failed (too-large): response body over 1000 bytes']);
    // Exactly at the limit is accepted.
    expect((await new HttpClient({ ca: server.caCert, maxResponseBytes: 1200 }).request(server.url('/chunked'))).body.length).toBe(1200);
  });

  it('fetch(): no body for 204, 205, 304 and HEAD; the body otherwise', async () => {
    const http = new HttpClient({ ca: server.caCert });
    server.handle((_, res) => {
      res.writeHead(205);
      res.end();
    });
    expect(await (await http.fetch(server.url('/reset'))).text()).toBe('');
    server.handle((req, res) => json(res, 200, { method: req.method }));
    for (const method of ['HEAD', 'head']) {
      const head = await http.fetch(server.url('/head'), { method });
      expect([method, head.status, head.body]).toEqual([method, 200, null]);
    }
    expect(await (await http.fetch(server.url('/get'))).json()).toEqual({ method: 'GET' });
  });
});

describe('RetryBudget on a frozen clock', () => {
  afterEach(() => vi.useRealTimers());

  it('starts with minPerSecond retries; refills minPerSecond a second; holds at most ten seconds of them', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const budget = new RetryBudget({ ratio: 0, minPerSecond: 3 });
    for (let i = 0; i < 3; i++) expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    vi.advanceTimersByTime(1_000);
    for (let i = 0; i < 3; i++) expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    vi.advanceTimersByTime(60_000); // a minute of refills: capped at 10 s × 3
    let allowed = 0;
    while (budget.tryWithdraw()) allowed++;
    expect(allowed).toBe(30);
  });

  it('without minPerSecond the bucket holds one retry, earned by requests at `ratio` each', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const budget = new RetryBudget({ ratio: 1, minPerSecond: 0 });
    for (let i = 0; i < 5; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('a request earns only `ratio` of a retry, never a full bucket', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const budget = new RetryBudget({ ratio: 0.2, minPerSecond: 3 });
    for (let i = 0; i < 3; i++) expect(budget.tryWithdraw()).toBe(true);
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(false);
    for (let i = 0; i < 4; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('ratio from 0 to 1; each bad option named', () => {
    expect(() => new RetryBudget({ ratio: 1 })).not.toThrow();
    expect(() => new RetryBudget({ ratio: 0 })).not.toThrow();
    expect(thrown(() => new RetryBudget({ ratio: 1.01 })).message).toBe('"retryBudget.ratio" must be a finite number from 0 to 1');
    for (const options of ['all', null]) expect(thrown(() => new RetryBudget(options as never)).message).toBe('"retryBudget" must be an object or false');
    expect(thrown(() => new RetryBudget({ ratio: -1 })).message).toMatch(/^"retryBudget\.ratio" must be/);
    expect(thrown(() => new RetryBudget({ minPerSecond: -1 })).message).toMatch(/^"retryBudget\.minPerSecond" must be/);
  });
});
