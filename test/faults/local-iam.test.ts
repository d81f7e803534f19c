/**
 * Toxiproxy between the library and the local IAM's token endpoint, the demo API
 * and the JWKS endpoint. For each toxic: the expected outcome, the time it takes
 * (within its configured deadline plus DEADLINE_SLACK_MS), the typed error and its
 * code, how many requests reached the server (no POST that may have been applied is
 * sent again), and the process's sockets and timers back to their baseline.
 */
import { Agent, type Dispatcher } from 'undici';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InSessionAPICall, KeycloakAdapter, createDualSubjectVerifier, type TokenResponse } from '../../src/index.js';
import { auditLogger, markSensitive } from '../helpers/log-audit.js';
import { DEADLINE_SLACK_MS, counts, expectBackToBaseline, proxyTo, resources, setup, timed, type FaultProxy, type Resources } from './helpers.js';

const TIMEOUT_MS = 1_000;
const DEADLINE_MS = 2_500;

let proxy: FaultProxy;
let baseline: Resources;
let token: TokenResponse;

function adapter(tokenUrl: string, options: { retries?: number; dispatcher?: Dispatcher } = {}) {
  const { iam, caCert } = setup().local;
  // The assertion's audience is the IAM's realm URL, not the proxy's (the IAM checks it against its own).
  return new KeycloakAdapter(
    { tokenUrl, clientId: iam.clientId, clientSecret: iam.clientSecret, audience: iam.issuer },
    { ca: caCert, timeoutMs: TIMEOUT_MS, deadlineMs: DEADLINE_MS, retries: options.retries ?? 2, backoffMs: 50, logger: auditLogger(), ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) },
  );
}
const requestToken = (tokenUrl: string) =>
  adapter(tokenUrl).requestToken({ agentId: setup().local.iam.clientId, act: { sub: setup().local.iam.testUserId }, scope: ['finance.read'] });

beforeAll(async () => {
  const { iam, caCert } = setup().local;
  markSensitive(iam.clientSecret);
  // On a pool of its own, closed after: the baselines must hold no idle connection that could
  // close during a test and make room for a socket left behind.
  const pool = new Agent({ connect: { ca: caCert } });
  token = await adapter(iam.tokenUrl, { dispatcher: pool }).requestToken({ agentId: iam.clientId, act: { sub: iam.testUserId }, scope: ['finance.read'] });
  await pool.close();
  markSensitive(token.accessToken);
});

beforeEach(() => {
  baseline = resources();
});
afterEach(async () => {
  await proxy?.delete();
  // Whatever the outcome, once the proxy is gone nothing of the test may be left.
  await expectBackToBaseline(baseline);
});

describe('token endpoint (POST, the reference retry policy) through Toxiproxy', () => {
  beforeEach(async () => {
    proxy = await proxyTo(setup().local.iam.tokenUrl);
  });

  it('latency 300 ms: the token arrives, within the deadline', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 300 } });
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error).toBeUndefined();
    expect(outcome.value?.accessToken).toMatch(/^ey/);
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
  });

  it('latency 3 s (over timeoutMs): ERR_TIMEOUT after one attempt (a timed-out POST is not sent again)', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 3_000 } });
    const before = await counts();
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.error?.name).toBe('TokenRequestError');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    expect((await counts()).tokenRequests - before.tokenRequests).toBeLessThanOrEqual(1);
  });

  it('bandwidth 1 KB/s (an answer dripping): ERR_TIMEOUT at timeoutMs, the whole exchange bounded', async () => {
    await proxy.add({ type: 'bandwidth', attributes: { rate: 1 } });
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
  });

  it('slow_close 3 s: the token arrives at once (the close is not waited for)', async () => {
    await proxy.add({ type: 'slow_close', attributes: { delay: 3_000 } });
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error).toBeUndefined();
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
  });

  it('timeout 0 (a black hole): ERR_TIMEOUT at timeoutMs, no socket left waiting', async () => {
    await proxy.add({ type: 'timeout', attributes: { timeout: 0 } });
    const before = await counts();
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    expect((await counts()).tokenRequests).toBe(before.tokenRequests);
    await expectBackToBaseline(baseline); // the black hole still stands
  });

  it('reset_peer: ERR_NETWORK with the reference message; the POST is not sent again', async () => {
    await proxy.add({ type: 'reset_peer', attributes: { timeout: 0 } });
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_NETWORK');
    expect(outcome.error?.message).toBe('Network error connecting to Keycloak: ConnectionError');
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  // On a kept-alive connection the request reaches the IAM, and only its answer is lost.
  for (const [name, toxic] of [
    ['limit_data (the answer cut after 40 bytes)', { type: 'limit_data', attributes: { bytes: 40 } }],
    ['downstream closed with no answer (timeout 300)', { type: 'timeout', attributes: { timeout: 300 } }],
  ] as const) {
    it(`${name}, on a kept-alive connection: ERR_NETWORK; the POST reached the IAM once and is not sent again`, async () => {
      const client = adapter(proxy.via(setup().local.iam.tokenUrl));
      const request = () => client.requestToken({ agentId: setup().local.iam.clientId, act: { sub: setup().local.iam.testUserId }, scope: ['finance.read'] });
      await request(); // the connection the next request reuses
      await proxy.add(toxic);
      const before = await counts();
      const outcome = await timed(request);
      expect(outcome.error?.code).toBe('ERR_NETWORK');
      expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
      expect((await counts()).tokenRequests - before.tokenRequests).toBe(1);
      await expectBackToBaseline(baseline);
    });
  }

  it('the IAM down (connection refused): retried as the reference does (never sent), then ERR_NETWORK within the deadline', async () => {
    await proxy.setEnabled(false);
    const outcome = await timed(() => requestToken(proxy.via(setup().local.iam.tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_NETWORK');
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });
});

describe('demo API (GET and POST, the default idempotent retry policy) through Toxiproxy', () => {
  beforeEach(async () => {
    proxy = await proxyTo(setup().local.api.url);
  });

  function apiCall(onRetry?: () => void) {
    const logger = auditLogger();
    if (onRetry) {
      const warn = logger.warn;
      logger.warn = (obj, msg) => {
        warn(obj, msg);
        if (obj.event === 'http_retry') onRetry();
      };
    }
    return new InSessionAPICall({ ca: setup().local.caCert, timeoutMs: TIMEOUT_MS, deadlineMs: DEADLINE_MS, retries: 2, backoffMs: 300, logger });
  }
  const report = () => `${proxy.origin}/finance/report`;
  const transactions = () => `${proxy.origin}/finance/transactions`;

  it('latency 300 ms: 200 within the deadline', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 300 } });
    const outcome = await timed(() => apiCall().callApi({ apiUrl: report(), tokenResponse: token }));
    expect(outcome.value?.status).toBe(200);
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
  });

  it('timeout 0 (a black hole): ERR_TIMEOUT at timeoutMs, no socket left waiting', async () => {
    await proxy.add({ type: 'timeout', attributes: { timeout: 0 } });
    const outcome = await timed(() => apiCall().callApi({ apiUrl: report(), tokenResponse: token }));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  it('a call its caller aborts during a black hole: ERR_ABORTED at once, and the connection being set up is given up', async () => {
    await proxy.add({ type: 'timeout', attributes: { timeout: 0 } });
    // A 5 s timeout: a socket left to wait out its connect timeout would outlive the 1 s window of expectBackToBaseline.
    const client = new InSessionAPICall({ ca: setup().local.caCert, timeoutMs: 5_000, logger: auditLogger() });
    const outcome = await timed(() => client.callApi({ apiUrl: report(), tokenResponse: token, signal: AbortSignal.timeout(200) }));
    expect(outcome.error?.code).toBe('ERR_ABORTED');
    expect(outcome.ms).toBeLessThan(200 + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  it('a drip (slicer: 1 byte every 20 ms): ERR_TIMEOUT at timeoutMs', async () => {
    await proxy.add({ type: 'slicer', attributes: { average_size: 1, size_variation: 0, delay: 20_000 } });
    const outcome = await timed(() => apiCall().callApi({ apiUrl: report(), tokenResponse: token }));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  it('a GET reset after the API answered it is sent again within the budget, and succeeds', async () => {
    const client = apiCall(() => void proxy.remove('latency_downstream').then(() => proxy.remove('reset_peer_downstream')));
    await client.callApi({ apiUrl: report(), tokenResponse: token });
    // The answer is held back 600 ms, the connection reset at 200 ms: the API got the request.
    await proxy.add({ type: 'latency', attributes: { latency: 600 } });
    await proxy.add({ type: 'reset_peer', attributes: { timeout: 200 } });
    const before = await counts();
    const outcome = await timed(() => client.callApi({ apiUrl: report(), tokenResponse: token }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.value?.status).toBe(200);
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
    expect((await counts()).api.GET - before.api.GET).toBe(2);
  });

  it('a POST reset after the API received it is not sent again: ERR_NETWORK, applied once', async () => {
    let retried = false;
    const client = apiCall(() => (retried = true));
    await client.callApi({ apiUrl: report(), tokenResponse: token });
    await proxy.add({ type: 'latency', attributes: { latency: 600 } });
    await proxy.add({ type: 'reset_peer', attributes: { timeout: 200 } });
    const before = await counts();
    const outcome = await timed(() => client.callApi({ method: 'POST', apiUrl: transactions(), tokenResponse: token, jsonData: { amount: 10 } }));
    expect(outcome.error?.code).toBe('ERR_NETWORK');
    expect(retried).toBe(false);
    expect((await counts()).api.POST - before.api.POST).toBe(1);
    await expectBackToBaseline(baseline);
  });

  for (const [name, toxic] of [
    ['limit_data (the answer cut after 40 bytes)', { type: 'limit_data', attributes: { bytes: 40 } }],
    ['downstream closed with no answer (timeout 300)', { type: 'timeout', attributes: { timeout: 300 } }],
  ] as const) {
    it(`${name}: a POST fails with ERR_NETWORK within timeoutMs, applied once, not sent again`, async () => {
      const client = apiCall();
      await client.callApi({ apiUrl: report(), tokenResponse: token });
      await proxy.add(toxic);
      const before = await counts();
      const outcome = await timed(() => client.callApi({ method: 'POST', apiUrl: transactions(), tokenResponse: token, jsonData: { amount: 10 } }));
      expect(outcome.error?.code).toBe('ERR_NETWORK');
      expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
      expect((await counts()).api.POST - before.api.POST).toBe(1);
      await expectBackToBaseline(baseline);
    });
  }

  it('slow_close 3 s: 200 at once', async () => {
    await proxy.add({ type: 'slow_close', attributes: { delay: 3_000 } });
    const outcome = await timed(() => apiCall().callApi({ apiUrl: report(), tokenResponse: token }));
    expect(outcome.value?.status).toBe(200);
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
  });

  it('the API down: a GET is retried (never sent) and fails with ERR_NETWORK within the deadline', async () => {
    await proxy.setEnabled(false);
    const outcome = await timed(() => apiCall().callApi({ apiUrl: report(), tokenResponse: token }));
    expect(outcome.error?.code).toBe('ERR_NETWORK');
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });
});

describe('JWKS endpoint through Toxiproxy (the API side)', () => {
  beforeEach(async () => {
    proxy = await proxyTo(setup().local.iam.jwksUri);
  });

  function verifier(jwksTimeoutMs = TIMEOUT_MS) {
    const { iam, caCert } = setup().local;
    return createDualSubjectVerifier({
      vendor: 'keycloak',
      issuer: iam.issuer,
      audience: iam.apiAudience,
      jwksUri: proxy.via(iam.jwksUri),
      ca: caCert,
      jwksTimeoutMs,
      logger: auditLogger(),
    });
  }

  it('latency 300 ms: the token verifies', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 300 } });
    const outcome = await timed(() => verifier()(token.accessToken));
    expect(outcome.value?.human.id).toBe(setup().local.iam.testUserId);
  });

  for (const [name, toxic] of [
    ['timeout 0 (a black hole)', { type: 'timeout', attributes: { timeout: 0 } }],
    ['a drip (slicer: 1 byte every 20 ms)', { type: 'slicer', attributes: { average_size: 1, size_variation: 0, delay: 20_000 } }],
    ['reset_peer', { type: 'reset_peer', attributes: { timeout: 0 } }],
    ['limit_data 100 bytes (the handshake cut)', { type: 'limit_data', attributes: { bytes: 100 } }],
  ] as const) {
    it(`${name}: ERR_JWKS_UNAVAILABLE (503) within the JWKS timeout, nothing left behind`, async () => {
      await proxy.add(toxic);
      const outcome = await timed(() => verifier()(token.accessToken));
      expect(outcome.error?.code).toBe('ERR_JWKS_UNAVAILABLE');
      // One attempt and one retry after a reset (GET), each within the timeout.
      expect(outcome.ms).toBeLessThan(2 * TIMEOUT_MS + DEADLINE_SLACK_MS);
      await expectBackToBaseline(baseline);
    });
  }

  it('a verification aborted during a black-holed JWKS fetch: ERR_ABORTED at once, and the fetch is given up (no socket waits out its connect timeout)', async () => {
    await proxy.add({ type: 'timeout', attributes: { timeout: 0 } });
    // A 5 s JWKS timeout: a socket left behind would outlive the 1 s window of expectBackToBaseline.
    const verify = verifier(5_000);
    const outcome = await timed(() => verify(token.accessToken, { signal: AbortSignal.timeout(200) }));
    expect(outcome.error?.code).toBe('ERR_ABORTED');
    expect(outcome.ms).toBeLessThan(200 + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  it('the JWKS endpoint down: ERR_JWKS_UNAVAILABLE at once', async () => {
    await proxy.setEnabled(false);
    const outcome = await timed(() => verifier()(token.accessToken));
    expect(outcome.error?.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });
});
