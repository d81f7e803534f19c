/**
 * IAM failure modes (issue 14): a 5xx storm with Retry-After (bounded retries, no
 * stampede of 200 concurrent callers: jitter and a retry budget), and a token
 * endpoint that answers 200 with HTML or with JSON lacking access_token. Real
 * HTTPS servers on 127.0.0.1; requests counted at the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_BUDGET, HttpClient, InSessionAPICall, KeycloakAdapter } from '../../src/index.js';
import { RetryBudget } from '../../src/http/index.js';
import { auditLogger, rejection, thrown } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

let server: TestServer;
const TOKEN = { access_token: 'storm-test-token-value', token_type: 'Bearer', expires_in: 300 };

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('a 5xx storm with Retry-After', () => {
  it('one caller: retried `retries` times, each after Retry-After, then the last 503 is returned', async () => {
    server.requests.length = 0;
    server.handle((_, res) => json(res, 503, { error: 'busy' }, { 'retry-after': '0' }));
    const answer = await new HttpClient({ ca: server.caCert, retries: 3, backoffMs: 5 }).request(server.url('/storm'));
    expect(answer.status).toBe(503);
    expect(answer.attempts).toBe(4);
    expect(server.requests).toHaveLength(4);
  });

  it('a Retry-After longer than maxRetryAfterMs is not waited for: the 503 comes back at once', async () => {
    server.requests.length = 0;
    server.handle((_, res) => json(res, 503, { error: 'busy' }, { 'retry-after': '120' }));
    const started = performance.now();
    const answer = await new HttpClient({ ca: server.caCert, retries: 3 }).request(server.url('/storm'));
    expect(answer.status).toBe(503);
    expect(server.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('200 concurrent callers of one client: the retry budget keeps the retries to ~20 % of the requests (800 without it)', async () => {
    server.handle((_, res) => json(res, 503, { error: 'busy' }, { 'retry-after': '0' }));
    const storm = async (retryBudget?: false) => {
      server.requests.length = 0;
      const client = new InSessionAPICall({ ca: server.caCert, retries: 3, backoffMs: 20, ...(retryBudget === false ? { retryBudget } : {}) });
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 200 }, () => client.callApi({ apiUrl: server.url('/storm'), tokenResponse: { accessToken: 'storm-api-token', actAssertion: undefined } })),
      );
      expect(answers.every((answer) => answer.status === 503)).toBe(true);
      return { requests: server.requests.length, seconds: (performance.now() - started) / 1000 };
    };
    const unbudgeted = await storm(false);
    expect(unbudgeted.requests).toBe(800);
    const budgeted = await storm();
    // 200 first attempts, 20 % of them as retries, the 10 always allowed and 10 a second of refill.
    const allowed = 200 + 200 * DEFAULT_RETRY_BUDGET.ratio + DEFAULT_RETRY_BUDGET.minPerSecond * (1 + budgeted.seconds);
    expect(budgeted.requests).toBeGreaterThan(200);
    expect(budgeted.requests).toBeLessThanOrEqual(Math.ceil(allowed));
  });

  it('callers told the same Retry-After do not come back at the same moment (jitter on top of it)', async () => {
    const arrivals: number[] = [];
    const seen = new Set<string>();
    server.handle((req, res) => {
      const caller = String(req.headers['x-caller']);
      if (seen.has(caller)) {
        arrivals.push(performance.now());
        json(res, 200, {});
        return;
      }
      seen.add(caller);
      json(res, 503, { error: 'busy' }, { 'retry-after': '1' });
    });
    const client = new HttpClient({ ca: server.caCert, retries: 1, backoffMs: 1_000, retryBudget: false });
    await Promise.all(Array.from({ length: 40 }, (_, i) => client.request(server.url('/jitter'), { headers: { 'x-caller': String(i) } })));
    expect(arrivals).toHaveLength(40);
    // Retry-After 1 s plus a jitter of 0.5 to 1 s: the second attempts spread over about half a second.
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(200);
  });
});

describe('RetryBudget', () => {
  it('each request earns `ratio` of a retry; minPerSecond refills with time', async () => {
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0 });
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    const refilling = new RetryBudget({ ratio: 0, minPerSecond: 20 });
    for (let i = 0; i < 20; i++) refilling.tryWithdraw();
    expect(refilling.tryWithdraw()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(refilling.tryWithdraw()).toBe(true);
  });

  it('refuses a bad option with a ConfigurationError', () => {
    expect(thrown(() => new HttpClient({ retryBudget: { ratio: 2 } })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => new HttpClient({ retryBudget: { minPerSecond: Number.NaN } })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => new HttpClient({ retryBudget: null as never })).code).toBe('ERR_CONFIGURATION');
  });
});

describe('a token endpoint answering 200 with something else than a token', () => {
  const adapter = () =>
    new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'agent', clientSecret: 'storm-client-secret' }, { ca: server.caCert, logger: auditLogger() });

  it('200 with an HTML page (a captive portal, a proxy error page): ERR_TOKEN_RESPONSE, not retried', async () => {
    server.requests.length = 0;
    server.handle((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Sign in</title>');
    });
    const error = await rejection(adapter().requestToken({ agentId: 'agent', act: { sub: 'u1' }, scope: ['x'] }));
    expect(error.code).toBe('ERR_TOKEN_RESPONSE');
    expect(error.message).toBe('Invalid response from Keycloak: JSONDecodeError');
    expect(server.requests).toHaveLength(1);
  });

  it('200 with JSON lacking access_token: ERR_TOKEN_RESPONSE (KeyError), not retried', async () => {
    server.requests.length = 0;
    server.handle((_, res) => json(res, 200, { ...TOKEN, access_token: undefined }));
    const error = await rejection(adapter().requestToken({ agentId: 'agent', act: { sub: 'u1' }, scope: ['x'] }));
    expect(error.code).toBe('ERR_TOKEN_RESPONSE');
    expect(error.message).toBe('Invalid response from Keycloak: KeyError');
    expect(server.requests).toHaveLength(1);
  });
});
