import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, HttpError, RETRY_POLICIES, createFetch, parseRetryAfter } from '../../src/http/index.js';
import { KeycloakAdapter } from '../../src/index.js';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { auditLogger, rejection, thrown } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function client(options: ConstructorParameters<typeof HttpClient>[0] = {}): HttpClient {
  return new HttpClient({ ca: server.caCert, backoffMs: 5, ...options });
}

describe('HttpClient', () => {
  it('refuses plain http and non-URLs before any I/O', async () => {
    expect((await rejection(client().request('http://127.0.0.1/x'))).code).toBe('ERR_INSECURE_URL');
    expect((await rejection(client().request('not a url'))).code).toBe('ERR_INSECURE_URL');
  });

  it('trusts the private CA given as `ca`, and nothing else', async () => {
    server.handle((_, res) => json(res, 200, { ok: 1 }));
    const answer = await client().request(server.url('/ok'));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({ ok: 1 });

    const error = await rejection(new HttpClient().request(server.url('/ok')));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).kind).toBe('tls');
    expect((error as HttpError).pythonName).toBe('SSLError');

    const otherCa = await createDevCertificates();
    const wrongCa = await rejection(new HttpClient({ ca: otherCa.caCert }).request(server.url('/ok')));
    expect((wrongCa as HttpError).kind).toBe('tls');
  });

  it('retries 429/500/502/503/504 a bounded number of times, then returns the last answer', async () => {
    server.requests.length = 0;
    server.handle((_, res) => json(res, 503, { error: 'busy' }));
    const logger = auditLogger();
    const answer = await client({ retries: 2, logger }).request(server.url('/busy'), { method: 'PUT', body: 'a=1' });
    expect(answer.status).toBe(503);
    expect(answer.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(logger.lines.filter((line) => line.includes('http_retry'))).toHaveLength(2);
  });

  it('builds a function body anew for each attempt', async () => {
    server.requests.length = 0;
    let calls = 0;
    server.handle((_, res) => (++calls < 3 ? json(res, 503, {}) : json(res, 200, {})));
    let built = 0;
    const answer = await client({ retries: 2 }).request(server.url('/fresh'), { method: 'POST', retryPolicy: 'reference', body: async () => `attempt=${++built}` });
    expect(answer.status).toBe(200);
    expect(server.requests.map((request) => request.body)).toEqual(['attempt=1', 'attempt=2', 'attempt=3']);
  });

  it('stops retrying at the first non-retryable answer', async () => {
    let calls = 0;
    server.handle((_, res) => (++calls === 1 ? json(res, 500, {}) : json(res, 400, { error: 'invalid_request' })));
    const answer = await client().request(server.url('/x'));
    expect(answer.status).toBe(400);
    expect(answer.attempts).toBe(2);
  });

  it('honours Retry-After (seconds), and gives up at once when it asks for too long', async () => {
    let calls = 0;
    server.handle((_, res) => (++calls === 1 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, { ok: true })));
    const started = Date.now();
    const answer = await client({ backoffMs: 0 }).request(server.url('/rate'));
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    calls = 0;
    server.handle((_, res) => {
      calls++;
      json(res, 429, {}, { 'retry-after': '120' });
    });
    const tooLong = await client({ maxRetryAfterMs: 2000 }).request(server.url('/rate'));
    expect(tooLong.status).toBe(429);
    expect(calls).toBe(1);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('times out a server that never answers, without retrying it', async () => {
    server.requests.length = 0;
    server.handle(() => {
      /* never answers */
    });
    const error = await rejection(client({ timeoutMs: 200 }).request(server.url('/hang')));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(server.requests).toHaveLength(1);
  });

  describe('timeoutMs is a deadline for the whole attempt; deadlineMs for all of them', () => {
    /** Headers after `headerDelayMs`, then one body byte every 200 ms for up to 6 s; records when the client went away. */
    function drip(headerDelayMs: number): { closedAt: () => number | undefined } {
      let closedAt: number | undefined;
      server.handle(async (_, res) => {
        res.on('close', () => (closedAt = Date.now()));
        await sleep(headerDelayMs);
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 30 && !res.destroyed; i++) {
          res.write('x');
          await sleep(200);
        }
        res.end();
      });
      return { closedAt: () => closedAt };
    }

    it('a server dripping its answer fails with ERR_TIMEOUT at about timeoutMs, and its socket is closed', async () => {
      const dripping = drip(600);
      const started = Date.now();
      const error = await rejection(client({ timeoutMs: 1000, retries: 0 }).request(server.url('/drip')));
      const elapsed = Date.now() - started;
      expect(error.code).toBe('ERR_TIMEOUT');
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(3000); // per-pause timeouts held it for the whole 6 s drip
      // The client closed the connection (no socket left behind): the server saw it go long before its drip ended.
      await sleep(500);
      expect(dripping.closedAt()).toBeDefined();
      expect(dripping.closedAt()! - started).toBeLessThan(4000);
    });

    it('a token request to a dripping IAM fails at about timeoutMs', async () => {
      drip(0);
      const adapter = new KeycloakAdapter(
        { tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'a', clientSecret: 'http-test-secret' },
        { ca: server.caCert, timeoutMs: 1000 },
      );
      const started = Date.now();
      const error = await rejection(adapter.requestToken({ agentId: 'a', act: { sub: 'u-1' }, scope: ['x'] }));
      expect([error.code, error.message]).toEqual(['ERR_TIMEOUT', 'Network error connecting to Keycloak: Timeout']);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('deadlineMs ends the retries: the last answer is returned when no further attempt fits', async () => {
      server.requests.length = 0;
      server.handle((_, res) => json(res, 503, { error: 'busy' }));
      const started = Date.now();
      const answer = await client({ retries: 10, backoffMs: 400, deadlineMs: 1500 }).request(server.url('/busy'));
      expect(answer.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2500); // 10 retries with this backoff take minutes
      expect(server.requests.length).toBeLessThan(6);
    });

    it('deadlineMs also cuts an attempt short, and a Retry-After past it is not waited for', async () => {
      server.handle(() => {});
      let started = Date.now();
      expect((await rejection(client({ timeoutMs: 5000, deadlineMs: 800 }).request(server.url('/hang')))).code).toBe('ERR_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(2500);

      server.requests.length = 0;
      server.handle((_, res) => json(res, 429, {}, { 'retry-after': '3' }));
      started = Date.now();
      expect((await client({ deadlineMs: 2000 }).request(server.url('/rate'))).status).toBe(429);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(server.requests).toHaveLength(1);
    });

    it('leaves no timer behind', async () => {
      server.handle((_, res) => json(res, 200, {}));
      const http = client();
      await http.request(server.url('/warm'));
      const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
      const before = timers();
      for (let i = 0; i < 20; i++) await http.request(server.url('/t'));
      server.handle(() => {});
      for (let i = 0; i < 5; i++) await rejection(client({ timeoutMs: 100 }).request(server.url('/hang')));
      expect(timers() - before).toBeLessThan(5);
    });
  });

  it('honours an AbortSignal, before and during the request', async () => {
    server.handle(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await rejection(client().request(server.url('/hang'), { signal: controller.signal }))).code).toBe('ERR_ABORTED');
    expect((await rejection(client().request(server.url('/x'), { signal: AbortSignal.abort() }))).code).toBe('ERR_ABORTED');
  });

  it('times out a stalled TLS handshake on time', async () => {
    const silent = createServer(() => {
      /* accepts TCP, never speaks TLS */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const error = await rejection(client({ timeoutMs: 300 }).request(`https://127.0.0.1:${port}/`));
    expect(error.code).toBe('ERR_TIMEOUT');
    // Far below the 10 s default; a loaded machine took 2.3 s for the 300 ms here.
    expect(Date.now() - started).toBeLessThan(5000);
    silent.close();
  });

  it('aborts during a Retry-After wait', async () => {
    server.handle((_, res) => json(res, 503, {}, { 'retry-after': '5' }));
    const started = Date.now();
    const error = await rejection(client().request(server.url('/x'), { signal: AbortSignal.timeout(100) }));
    expect(error.code).toBe('ERR_ABORTED');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries a refused connection: a server that refuses, then listens, answers the retry (any method)', async () => {
    for (const method of ['GET', 'POST']) {
      const port = await closedPort();
      const late = createHttpsServer({ key: server.certificates.key, cert: server.certificates.cert }, (_, res) => json(res, 200, { late: true }));
      let listening: Promise<void> | undefined;
      // The first attempt is refused (nothing listens on `port`); the retry is logged before its
      // backoff wait (300-600 ms), and that log line starts the server: the retry finds it listening.
      const startOnRetry = (record: Record<string, unknown>) => {
        if (record.event === 'http_retry' && record.error === 'connect') listening ??= new Promise((resolve) => late.listen(port, '127.0.0.1', () => resolve()));
      };
      try {
        const answer = await client({ retries: 1, backoffMs: 600, logger: { warn: startOnRetry } }).request(`https://127.0.0.1:${port}/`, { method, body: method === 'POST' ? 'x=1' : undefined });
        expect([method, answer.status, answer.attempts, JSON.parse(answer.body.toString())]).toEqual([method, 200, 2, { late: true }]);
      } finally {
        await listening;
        await new Promise<void>((resolve) => late.close(() => resolve()));
      }
    }
  });

  it('a connection still refused after the retries is a network error (ConnectionError), after retries + 1 attempts', async () => {
    const port = await closedPort();
    const retried: unknown[] = [];
    const logger = { warn: (record: Record<string, unknown>) => void retried.push([record.event, record.error, record.attempt]) };
    const error = await rejection(client({ retries: 2, logger }).request(`https://127.0.0.1:${port}/`));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.code).toBe('ERR_NETWORK');
    expect((error as HttpError).pythonName).toBe('ConnectionError');
    expect(retried).toEqual([
      ['http_retry', 'connect', 1],
      ['http_retry', 'connect', 2],
    ]);
  });

  it('after a connection reset once the request was sent, retries GET and PUT but not POST', async () => {
    for (const [method, retried] of [['GET', true], ['PUT', true], ['DELETE', true], ['POST', false], ['PATCH', false]] as const) {
      let calls = 0;
      server.handle((_, res) => { if (++calls === 1) res.socket?.destroy(); else json(res, 200, { ok: true }); });
      const attempt = client().request(server.url('/reset'), { method, body: 'x=1' });
      if (retried) {
        expect([method, (await attempt).status, calls]).toEqual([method, 200, 2]);
      } else {
        const error = await rejection(attempt);
        expect([method, error.code, calls]).toEqual([method, 'ERR_NETWORK', 1]);
      }
    }
    // With an Idempotency-Key, a POST counts as idempotent.
    let calls = 0;
    server.handle((_, res) => { if (++calls === 1) res.socket?.destroy(); else json(res, 200, { ok: true }); });
    expect((await client().request(server.url('/reset'), { method: 'POST', body: 'x=1', headers: { 'idempotency-key': 'k1' } })).status).toBe(200);
    expect(calls).toBe(2);
  });

  it('retry policies are data; a request can choose another', async () => {
    expect(RETRY_POLICIES.idempotent.idempotentMethods).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
    expect(RETRY_POLICIES.reference.idempotentMethods).toEqual(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']);
    let calls = 0;
    server.handle((_, res) => (++calls === 1 ? json(res, 502, {}) : json(res, 200, {})));
    expect((await client().request(server.url('/p'), { method: 'POST', retryPolicy: 'reference' })).status).toBe(200);
    expect(calls).toBe(2);
    calls = 0;
    expect((await client({ retryPolicy: 'reference' }).request(server.url('/p'), { method: 'POST' })).status).toBe(200);
    expect(calls).toBe(2);
    calls = 0;
    expect((await client().request(server.url('/p'), { method: 'POST' })).status).toBe(502);
    expect(calls).toBe(1);
    expect(thrown(() => new HttpClient({ retryPolicy: 'always' as never })).code).toBe('ERR_CONFIGURATION');
  });

  it('refuses a response body over the limit', async () => {
    server.handle((_, res) => json(res, 200, 'x'.repeat(4096)));
    const error = await rejection(client({ maxResponseBytes: 1024 }).request(server.url('/big')));
    expect((error as HttpError).kind).toBe('too-large');
  });

  it('has the documented defaults: 10 s per attempt, 30 s in all, 3 retries', () => {
    const defaults = new HttpClient();
    expect([defaults.timeoutMs, defaults.deadlineMs, defaults.retries]).toEqual([10_000, 30_000, 3]);
    // The overall deadline follows timeoutMs unless given.
    const custom = new HttpClient({ timeoutMs: 2_000 });
    expect([custom.timeoutMs, custom.deadlineMs]).toEqual([2_000, 6_000]);
    expect(new HttpClient({ timeoutMs: 2_000, deadlineMs: 2_500 }).deadlineMs).toBe(2_500);
    expect(new HttpClient({ retries: 0 }).retries).toBe(0);
  });

  it('validates its options', () => {
    expect(thrown(() => new HttpClient({ timeoutMs: 0 })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => new HttpClient({ retries: 1.5 })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => new HttpClient({ retries: 100 })).code).toBe('ERR_CONFIGURATION');
  });

  it('createFetch gives a fetch-compatible function returning a WHATWG Response', async () => {
    server.handle((req, res) => json(res, 200, { method: req.method, accept: req.headers.accept }));
    const fetchLike = createFetch({ ca: server.caCert });
    const response = await fetchLike(server.url('/jwks'), { headers: { accept: 'application/json' } });
    expect(response).toBeInstanceOf(Response);
    expect(await response.json()).toEqual({ method: 'GET', accept: 'application/json' });
  });

  it('reuses keep-alive connections', async () => {
    server.handle((_, res) => json(res, 200, {}));
    const http = client({ ca: server.caCert + '\n' });
    await http.request(server.url('/k'));
    const before = server.connections();
    for (let i = 0; i < 10; i++) await http.request(server.url('/k'));
    // Without pooling this would be 10 new TLS connections.
    expect(server.connections() - before).toBeLessThanOrEqual(1);
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('undici loading (issue 13)', () => {
  it('loads only the three undici modules a request needs, not the whole package (a moved path would fall back silently)', async () => {
    const { loadUndici } = await import('../../src/http/undici.js');
    const undici = await loadUndici();
    expect(undici.source).toBe('parts');
    expect(typeof undici.Agent).toBe('function');
  });
});
