import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InSessionAPICall, OutOfSessionAPICall, TokenResponse, VERSION } from '../../src/index.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

const ACCESS = 'api-test-access-token-abc';
const ASSERTION = 'api-test-act-assertion-xyz';
markSensitive(ACCESS, ASSERTION);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((req, res) => json(res, 200, { path: req.url }));
});
afterAll(() => server.close());

const plain = new TokenResponse({ accessToken: ACCESS, tokenType: 'Bearer', expiresIn: 60, scope: 'finance.read' });
const hybrid = new TokenResponse({ accessToken: ACCESS, tokenType: 'Bearer', expiresIn: 60, scope: 's', actAssertion: ASSERTION });

describe.each([
  ['InSessionAPICall', InSessionAPICall],
  ['OutOfSessionAPICall', OutOfSessionAPICall],
])('%s', (_name, ApiCall) => {
  const client = () => new ApiCall({ ca: server.caCert, backoffMs: 1, logger: auditLogger() });

  it('GETs with the bearer token and query params, returning a WHATWG Response', async () => {
    const response = await client().callApi({ apiUrl: server.url('/finance/report'), tokenResponse: plain, params: { quarter: 'Q4', tag: ['a', 'b'], skip: undefined } });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/finance/report?quarter=Q4&tag=a&tag=b' });
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('GET');
    expect(request.headers.authorization).toBe(`Bearer ${ACCESS}`);
    expect(request.headers['x-act-assertion']).toBeUndefined();
    expect(request.headers['content-type']).toBeUndefined();
  });

  it('encodes query values: a value cannot add a parameter or end the query', async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    await client().callApi({ apiUrl: server.url('/search?fixed=1'), tokenResponse: plain, params: { q: 'a b&admin=1', 'x y': 'é#frag', n: 7, ok: true } });
    const request = server.requests.at(-1)!;
    expect(request.url).toBe('/search?fixed=1&q=a+b%26admin%3D1&x+y=%C3%A9%23frag&n=7&ok=true');
    expect([...new URL(request.url, server.origin).searchParams.keys()]).toEqual(['fixed', 'q', 'x y', 'n', 'ok']);
  });

  it('adds X-Act-Assertion when the token carries one, and a JSON body', async () => {
    await client().callApi({ method: 'post', apiUrl: server.url('/finance/transfer'), tokenResponse: hybrid, jsonData: { amount: 1000 }, headers: { 'X-Request-Id': 'r1', Authorization: 'Bearer forged' } });
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['x-act-assertion']).toBe(ASSERTION);
    expect(request.headers.authorization).toBe(`Bearer ${ACCESS}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-request-id']).toBe('r1');
    expect(JSON.parse(request.body)).toEqual({ amount: 1000 });
  });

  it('returns error statuses as responses, after retrying 5xx for GET', async () => {
    let calls = 0;
    server.handle((_, res) => {
      calls++;
      json(res, 503, { error: 'down' });
    });
    const response = await client().callApi({ apiUrl: server.url('/x'), tokenResponse: plain });
    expect(response.status).toBe(503);
    expect(calls).toBe(4);
    calls = 0;
    const patched = await client().callApi({ method: 'PATCH', apiUrl: server.url('/x'), tokenResponse: plain, jsonData: {} });
    expect(patched.status).toBe(503);
    expect(calls).toBe(1);
    server.handle((_, res) => json(res, 404, { error: 'nope' }));
    expect((await client().callApi({ apiUrl: server.url('/x'), tokenResponse: plain })).status).toBe(404);
  });

  describe('retry policy (RFC 9110 idempotent methods)', () => {
    /** The server answers `first` once, then 200; returns how many requests it saw. */
    async function seen(first: number, call: (api: InstanceType<typeof ApiCall>) => Promise<Response>, headers: Record<string, string> = {}, api = client()): Promise<{ status: number; requests: number }> {
      let calls = 0;
      server.handle((_, res) => (++calls === 1 ? json(res, first, { error: 'first' }, headers) : json(res, 200, { ok: true })));
      const response = await call(api);
      return { status: response.status, requests: calls };
    }
    const post = (extra: Record<string, unknown> = {}) => (api: InstanceType<typeof ApiCall>) =>
      api.callApi({ method: 'POST', apiUrl: server.url('/payments'), tokenResponse: plain, jsonData: { amount: 10 }, ...extra });

    it('a POST answered 502 is not sent again: the server may have acted (a payment made twice)', async () => {
      for (const status of [500, 502, 504]) expect(await seen(status, post())).toEqual({ status, requests: 1 });
      expect(await seen(502, (api) => api.callApi({ method: 'PATCH', apiUrl: server.url('/x'), tokenResponse: plain, jsonData: {} }))).toEqual({ status: 502, requests: 1 });
    });

    it('a POST is retried on 429, and on 503 with Retry-After: the server did not act', async () => {
      expect(await seen(429, post())).toEqual({ status: 200, requests: 2 });
      expect(await seen(503, post(), { 'retry-after': '0' })).toEqual({ status: 200, requests: 2 });
      expect(await seen(503, post())).toEqual({ status: 503, requests: 1 });
    });

    it('a POST with an Idempotency-Key header is retried as an idempotent request', async () => {
      expect(await seen(502, post({ headers: { 'Idempotency-Key': 'pay-123' } }))).toEqual({ status: 200, requests: 2 });
    });

    it("retryPolicy: 'reference' retries POST on 500/502/503/504 as the Python package", async () => {
      const reference = new ApiCall({ ca: server.caCert, backoffMs: 1, retryPolicy: 'reference' });
      expect(await seen(502, post(), {}, reference)).toEqual({ status: 200, requests: 2 });
      expect(await seen(502, (api) => api.callApi({ method: 'PATCH', apiUrl: server.url('/x'), tokenResponse: plain, jsonData: {} }), {}, reference)).toEqual({ status: 502, requests: 1 });
    });

    it('GET, HEAD, OPTIONS, PUT and DELETE are retried on 502', async () => {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
        expect([method, await seen(502, (api) => api.callApi({ method, apiUrl: server.url('/x'), tokenResponse: plain }))]).toEqual([method, { status: 200, requests: 2 }]);
      }
    });
  });

  it('handles 204 without a body', async () => {
    server.handle((_, res) => {
      res.writeHead(204);
      res.end();
    });
    const response = await client().callApi({ method: 'DELETE', apiUrl: server.url('/x'), tokenResponse: plain });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('refuses http URLs and missing tokens; honours AbortSignal and timeouts', async () => {
    expect((await rejection(client().callApi({ apiUrl: 'http://api.example.com', tokenResponse: plain }))).message).toBe('API URL must use HTTPS');
    expect((await rejection(client().callApi({ apiUrl: server.url('/x'), tokenResponse: {} as never }))).code).toBe('ERR_INVALID_ARGUMENT');
    server.handle(() => {});
    expect((await rejection(client().callApi({ apiUrl: server.url('/x'), tokenResponse: plain, signal: AbortSignal.timeout(50) }))).code).toBe('ERR_ABORTED');
    const slow = new ApiCall({ ca: server.caCert, timeoutMs: 100 });
    expect((await rejection(slow.callApi({ apiUrl: server.url('/x'), tokenResponse: plain }))).code).toBe('ERR_TIMEOUT');
    server.handle((req, res) => json(res, 200, { path: req.url }));
  });

  it('fails on an untrusted certificate (no way to turn checks off)', async () => {
    const error = await rejection(new ApiCall().callApi({ apiUrl: server.url('/x'), tokenResponse: plain }));
    expect(error.code).toBe('ERR_NETWORK');
  });
});

describe('what callApi sends, and what it refuses before sending (issue 16)', () => {
  const client = () => new InSessionAPICall({ ca: server.caCert, backoffMs: 1, logger: auditLogger() });
  const last = () => server.requests.at(-1)!;

  it('sends its User-Agent and Accept: */* by default; a caller may set Accept; the method defaults to GET and is upper-cased', async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    await client().callApi({ apiUrl: server.url('/defaults'), tokenResponse: plain });
    expect([last().method, last().headers['user-agent'], last().headers.accept]).toEqual(['GET', `dual-auth-node/${VERSION}`, '*/*']);
    await client().callApi({ method: 'delete', apiUrl: server.url('/defaults'), tokenResponse: plain, headers: { Accept: 'application/json' } });
    expect([last().method, last().headers.accept]).toEqual(['DELETE', 'application/json']);
  });

  it('no header name, in any case, replaces the bearer token or the act assertion', async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    await client().callApi({
      method: 'POST',
      apiUrl: server.url('/transfer'),
      tokenResponse: hybrid,
      headers: { AUTHORIZATION: 'Bearer forged', 'X-ACT-ASSERTION': 'forged.assertion.value', 'Content-Type': 'text/plain' },
      jsonData: { amount: 5 },
    });
    expect(last().headers.authorization).toBe(`Bearer ${ACCESS}`);
    expect(last().headers['x-act-assertion']).toBe(ASSERTION);
    // A JSON body is sent as JSON whatever the caller's Content-Type.
    expect(last().headers['content-type']).toBe('application/json');
  });

  it("with a token that carries no act assertion, a caller's X-Act-Assertion header is sent as given", async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    await client().callApi({ apiUrl: server.url('/forwarded'), tokenResponse: plain, headers: { 'X-Act-Assertion': 'caller.forwarded.assertion' } });
    expect(last().headers['x-act-assertion']).toBe('caller.forwarded.assertion');
  });

  it('sends any JSON value given as jsonData (null, 0, false), and no body without it', async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    for (const value of [null, 0, false, '']) {
      await client().callApi({ method: 'PUT', apiUrl: server.url('/value'), tokenResponse: plain, jsonData: value });
      expect([value, last().body, last().headers['content-type']]).toEqual([value, JSON.stringify(value), 'application/json']);
    }
    await client().callApi({ method: 'PUT', apiUrl: server.url('/value'), tokenResponse: plain });
    expect([last().body, last().headers['content-type']]).toEqual(['', undefined]);
  });

  it('an empty params object leaves the URL as given', async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    await client().callApi({ apiUrl: server.url('/plain?x=1'), tokenResponse: plain, params: {} });
    expect(last().url).toBe('/plain?x=1');
  });

  it.each([
    ['no parameters', null, 'ERR_INVALID_ARGUMENT', 'callApi needs { apiUrl, tokenResponse }'],
    ['a bare URL string', 'https://api.example.com/x', 'ERR_INVALID_ARGUMENT', 'callApi needs { apiUrl, tokenResponse }'],
    ['a URL object', { apiUrl: new URL('https://api.example.com/x'), tokenResponse: plain }, 'ERR_INSECURE_URL', 'API URL must use HTTPS'],
    ['an HTTPS prefix in another case', { apiUrl: 'HTTPS://api.example.com/x', tokenResponse: plain }, 'ERR_INSECURE_URL', 'API URL must use HTTPS'],
    ['no token response', { apiUrl: 'https://api.example.com/x', tokenResponse: null }, 'ERR_INVALID_ARGUMENT', 'tokenResponse with an accessToken is required'],
    ['an empty access token', { apiUrl: 'https://api.example.com/x', tokenResponse: { accessToken: '' } }, 'ERR_INVALID_ARGUMENT', 'tokenResponse with an accessToken is required'],
    ['a non-string access token', { apiUrl: 'https://api.example.com/x', tokenResponse: { accessToken: 7 } }, 'ERR_INVALID_ARGUMENT', 'tokenResponse with an accessToken is required'],
    ['params with a URL that does not parse', { apiUrl: 'https://', tokenResponse: plain, params: { a: 1 } }, 'ERR_INVALID_ARGUMENT', 'API URL is not a valid URL'],
  ])('refuses %s, sending nothing', async (_name, input, code, message) => {
    const before = server.requests.length;
    const error = await rejection(client().callApi(input as never));
    expect([error.code, error.message]).toEqual([code, message]);
    expect(server.requests.length).toBe(before);
  });

  it('logs the call without its query string or token, and a failure with its code', async () => {
    server.handle((req, res) => json(res, 200, { path: req.url }));
    const logger = auditLogger();
    const api = new OutOfSessionAPICall({ ca: server.caCert, logger });
    await api.callApi({ apiUrl: server.url('/logged'), tokenResponse: hybrid, params: { secret: 'query-value-never-logged' } });
    const start = logger.lines.find((line) => line.includes('"api_call_start"'))!;
    expect(start).toContain('"scenario":"outofsession"');
    expect(start).toContain('"has_act_assertion":true');
    expect(start).toContain('"method":"GET"');
    expect(logger.lines.join('\n')).not.toContain('query-value-never-logged');
    expect(logger.lines.find((line) => line.includes('"api_call_complete"'))).toContain('"status_code":200');
    await api.callApi({ method: 'delete', apiUrl: server.url('/logged'), tokenResponse: plain });
    expect(logger.lines.filter((line) => line.includes('"api_call_complete"')).at(-1)).toContain('"method":"DELETE"');
    await rejection(new OutOfSessionAPICall({ logger }).callApi({ apiUrl: server.url('/logged'), tokenResponse: plain }));
    expect(logger.lines.find((line) => line.includes('"api_call_error"'))).toContain('"code":"ERR_NETWORK"');
  });
});
