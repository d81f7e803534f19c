/**
 * The same TokenResponse gives the same API call: both packages call one
 * recording HTTPS server; method, path, Authorization, X-Act-Assertion,
 * Content-Type and the JSON body (parsed) must be equal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DualAuthError, InSessionAPICall, OutOfSessionAPICall, TokenResponse } from '../../src/index.js';
import { startRecordingServer, type Endpoint, type RecordedRequest, type RecordingServer } from './helpers/recording-server.js';
import { ok, pyError, runPython, type PyResult } from './helpers/python.js';
import { writeFixtures, type KeyFiles } from './helpers/fixtures.js';

interface TokenInit {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  act_assertion?: string;
}

const PLAIN: TokenInit = { access_token: 'eyJhbGciOiJSUzI1NiJ9.plain-agent-token.sig', token_type: 'Bearer', expires_in: 3600, scope: 'finance.read' };
const ENTRAID: TokenInit = { ...PLAIN, access_token: 'eyJ0eXAiOiJKV1QifQ.entraid-agent-token.sig', act_assertion: 'eyJhbGciOiJSUzI1NiJ9.act-assertion.sig' };

interface Case {
  name: string;
  cls: 'in' | 'out';
  method: string;
  token: TokenInit;
  json?: unknown;
  path: string;
  ep?: Endpoint;
  py?: PyResult<{ status: number; body: string }>;
  pyRequests?: RecordedRequest[];
}

const CASES: Case[] = [
  { name: 'GET, plain token', cls: 'in', method: 'GET', token: PLAIN, path: '/finance/reports/Q4' },
  { name: 'GET, EntraID token + act assertion', cls: 'in', method: 'GET', token: ENTRAID, path: '/finance/reports/Q4' },
  { name: 'POST JSON, plain token', cls: 'in', method: 'POST', token: PLAIN, json: { amount: 1000, currency: 'EUR', tags: ['a', 'b'] }, path: '/finance/summaries' },
  { name: 'PUT JSON, EntraID (out-of-session class)', cls: 'out', method: 'PUT', token: ENTRAID, json: { note: 'Grüße, "quoted" / slash' }, path: '/finance/summaries/7' },
  { name: 'DELETE, out-of-session class', cls: 'out', method: 'DELETE', token: PLAIN, path: '/finance/summaries/7' },
  { name: 'GET, out-of-session class, EntraID', cls: 'out', method: 'GET', token: ENTRAID, path: '/finance/reports/Q3' },
];

let server: RecordingServer;
let keys: KeyFiles;

beforeAll(async () => {
  server = await startRecordingServer();
  keys = writeFixtures(server.caCert);
  for (const c of CASES) c.ep = server.endpoint({ status: 200, json: { ok: true } });
  const results = await runPython<{ status: number; body: string }>(
    CASES.map((c) => ({ op: 'api_call', cls: c.cls, method: c.method, token_response: c.token, api_url: `${c.ep!.base}${c.path}`, json_data: c.json ?? null })),
    { env: { REQUESTS_CA_BUNDLE: keys.caBundle } },
  );
  CASES.forEach((c, i) => {
    c.py = results[i];
    c.pyRequests = c.ep!.take();
  });
});
afterAll(async () => {
  await server?.close();
  keys?.cleanup();
});

function toOurs(t: TokenInit): TokenResponse {
  return new TokenResponse({ accessToken: t.access_token, tokenType: t.token_type, expiresIn: t.expires_in, scope: t.scope, ...(t.act_assertion ? { actAssertion: t.act_assertion } : {}) });
}

function comparable(r: RecordedRequest) {
  return {
    method: r.method,
    path: r.path,
    authorization: r.headers.authorization,
    actAssertion: r.headers['x-act-assertion'],
    contentType: r.headers['content-type'],
    json: r.body ? JSON.parse(r.body) : undefined,
  };
}

describe.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  it('sends the same request as the Python package', async () => {
    expect(ok(c.py).status).toBe(200);
    expect(c.pyRequests).toHaveLength(1);
    const Client = c.cls === 'in' ? InSessionAPICall : OutOfSessionAPICall;
    const client = new Client({ timeoutMs: 10_000, ca: server.caCert });
    const res = await client.callApi({ method: c.method as 'GET', apiUrl: `${c.ep!.base}${c.path}`, tokenResponse: toOurs(c.token), ...(c.json === undefined ? {} : { jsonData: c.json as Record<string, unknown> }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    const mine = c.ep!.take();
    expect(mine).toHaveLength(1);
    expect(comparable(mine[0]!)).toEqual(comparable(c.pyRequests![0]!));
    expect(mine[0]!.headers.authorization).toBe(`Bearer ${c.token.access_token}`);
    if (c.token.act_assertion) expect(mine[0]!.headers['x-act-assertion']).toBe(c.token.act_assertion);
  });
});

describe('refusals', () => {
  it('a non-https API URL: "API URL must use HTTPS" in both', async () => {
    const [py] = await runPython([{ op: 'api_call', token_response: PLAIN, api_url: 'http://api.example.com/x' }]);
    expect(pyError(py).str).toBe('API URL must use HTTPS');
    let mine: unknown;
    try {
      await new InSessionAPICall().callApi({ method: 'GET', apiUrl: 'http://api.example.com/x', tokenResponse: toOurs(PLAIN) });
    } catch (error) {
      mine = error;
    }
    expect(mine).toBeInstanceOf(DualAuthError);
    expect((mine as Error).message).toBe('API URL must use HTTPS');
  });
});
