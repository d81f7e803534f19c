/**
 * The demo API accepts only a valid dual-subject token, and refuses: no token,
 * a token without act, an expired token, a token from another issuer, and for
 * Entra ID a call without or with a forged X-Act-Assertion. Real IAMs, real
 * HTTPS, the library's verifier.
 */
import { randomBytes } from 'node:crypto';

import { decodeJwt, SignJWT, importPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { createAdapter, getConfig, HttpClient, type TokenResponse } from '../../src/index.js';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';
import { demoApiOptionsFor, generateRsaPemKeyPair, startDemoApi, startLocalIam, type DemoApi, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';

let certificates: DevCertificates;
const cleanup: Array<() => Promise<void>> = [];
let keycloak: LocalIam;
let keycloakApi: DemoApi;
let entraid: LocalIam;
let entraApi: DemoApi;
let otherIssuer: LocalIam;

async function startPair(vendor: LocalIamVendor, options: { ttl?: number; clockToleranceSeconds?: number } = {}) {
  const iam = await startLocalIam({ vendor, certificates, ...(options.ttl ? { accessTokenTtlSeconds: options.ttl } : {}) });
  cleanup.push(() => iam.close());
  const api = await startDemoApi({
    ...demoApiOptionsFor(iam, certificates),
    ...(options.clockToleranceSeconds !== undefined ? { clockToleranceSeconds: options.clockToleranceSeconds } : {}),
  });
  cleanup.push(() => api.close());
  return { iam, api };
}

beforeAll(async () => {
  certificates = await createDevCertificates();
  ({ iam: keycloak, api: keycloakApi } = await startPair('keycloak'));
  ({ iam: entraid, api: entraApi } = await startPair('entraid'));
  otherIssuer = await startLocalIam({ vendor: 'keycloak', certificates });
  cleanup.push(() => otherIssuer.close());
});

afterAll(async () => {
  await Promise.all(cleanup.map((close) => close()));
});

async function token(iam: LocalIam, act: Record<string, unknown> | null = { sub: 'user_12345' }): Promise<TokenResponse> {
  const config = await getConfig({ env: iam.env });
  const adapter = createAdapter(config, { ca: certificates.caCert, retries: 0 });
  if (act) return adapter.requestToken({ agentId: config.clientId, act: act as { sub: string }, scope: ['finance.read'] });
  // Without act: a client assertion with no act claim, as a misconfigured client would send.
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ jti: randomBytes(32).toString('base64url') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(config.clientId)
    .setSubject(config.clientId)
    .setAudience(iam.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(new TextEncoder().encode(config.clientSecret));
  const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(iam.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'finance.read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(),
  });
  expect(answer.status).toBe(200);
  const body = JSON.parse(answer.body.toString('utf8')) as { access_token: string };
  return { accessToken: body.access_token, tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read' } as TokenResponse;
}

async function call(api: DemoApi, headers: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, string> }> {
  const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(`${api.reportUrl}?quarter=Q4`, { headers, retry: false });
  return { status: answer.status, body: JSON.parse(answer.body.toString('utf8')), headers: answer.headers };
}

describe('demo API (keycloak profile)', () => {
  it('accepts a dual-subject token and answers with the agent and human ids', async () => {
    const t = await token(keycloak);
    const answer = await call(keycloakApi, { authorization: `Bearer ${t.accessToken}` });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ agent: keycloak.agent.clientId, human: 'user_12345', report: { quarter: 'Q4' } });
  });

  it('counts the requests it receives, by method, answered or not', async () => {
    const before = { all: keycloakApi.requestCount(), get: keycloakApi.requestCount('GET'), post: keycloakApi.requestCount('post') };
    await call(keycloakApi, {});
    await call(keycloakApi, {});
    expect(keycloakApi.requestCount() - before.all).toBe(2);
    expect(keycloakApi.requestCount('get') - before.get).toBe(2);
    expect(keycloakApi.requestCount('POST') - before.post).toBe(0);
  });

  it('refuses a request without a token (401, Bearer challenge)', async () => {
    const answer = await call(keycloakApi, {});
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('ERR_TOKEN_MISSING');
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses a token without act', async () => {
    const t = await token(keycloak, null);
    const answer = await call(keycloakApi, { authorization: `Bearer ${t.accessToken}` });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('ERR_TOKEN_NO_ACT');
  });

  it('refuses a token from another issuer', async () => {
    const t = await token(otherIssuer);
    const answer = await call(keycloakApi, { authorization: `Bearer ${t.accessToken}` });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('ERR_TOKEN_INVALID');
  });

  it('refuses an expired token', async () => {
    // No sleep and no 1 s token racing a loaded machine: the token lives as usual, and the clock
    // of this process (where the demo API verifies) is moved to one second past its exp.
    const { iam, api } = await startPair('keycloak', { clockToleranceSeconds: 0 });
    const t = await token(iam);
    const fresh = await call(api, { authorization: `Bearer ${t.accessToken}` });
    expect(fresh.status).toBe(200);
    const exp = decodeJwt(t.accessToken).exp as number;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(exp * 1000 + 1_000);
      const answer = await call(api, { authorization: `Bearer ${t.accessToken}` });
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('ERR_TOKEN_EXPIRED');
      // One second earlier (exp itself) it is refused too: exp is the first second it is no longer valid.
      vi.setSystemTime(exp * 1000);
      expect((await call(api, { authorization: `Bearer ${t.accessToken}` })).body.code).toBe('ERR_TOKEN_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs the agent id and human id only', async () => {
    const lines: string[] = [];
    const logger = { info: (o: object) => lines.push(JSON.stringify(o)), warn: (o: object) => lines.push(JSON.stringify(o)) };
    const api = await startDemoApi({ vendor: 'keycloak', issuer: keycloak.issuer, audience: keycloak.apiAudience, jwksUri: keycloak.jwksUri, certificates, logger });
    try {
      const t = await token(keycloak, { sub: 'user_12345', email: 'alice@corp.example.com', name: 'Alice Smith' });
      expect((await call(api, { authorization: `Bearer ${t.accessToken}` })).status).toBe(200);
      expect((await call(api, {})).status).toBe(401);
    } finally {
      await api.close();
    }
    const text = lines.join('\n');
    expect(text).toContain('"agent_id":"finance-agent"');
    expect(text).toContain('"human_id":"user_12345"');
    expect(text).not.toMatch(/alice|Alice|eyJ/);
  });
});

describe('demo API (entraid profile: X-Act-Assertion)', () => {
  it('accepts the token with the act assertion the adapter made', async () => {
    const t = await token(entraid);
    const answer = await call(entraApi, { authorization: `Bearer ${t.accessToken}`, 'x-act-assertion': t.actAssertion as string });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ agent: entraid.agent.clientId, human: 'user_12345' });
  });

  it('refuses a call without X-Act-Assertion', async () => {
    const t = await token(entraid);
    const answer = await call(entraApi, { authorization: `Bearer ${t.accessToken}` });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toMatch(/^ERR_ACT_ASSERTION/);
  });

  it('refuses a forged X-Act-Assertion (signed with another key)', async () => {
    const t = await token(entraid);
    const forger = await generateRsaPemKeyPair();
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ act: { sub: 'someone-else' }, jti: randomBytes(32).toString('base64url') })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(entraid.app.appId)
      .setSubject(entraid.app.appId)
      .setAudience(entraid.apiAudience)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(await importPKCS8(forger.privateKeyPem, 'RS256'));
    const answer = await call(entraApi, { authorization: `Bearer ${t.accessToken}`, 'x-act-assertion': forged });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('ERR_ACT_ASSERTION_INVALID');
  });
});

describe('demo API robustness', () => {
  it('answers a malformed JSON body with a short JSON 400, no stack trace', async () => {
    const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(`${keycloakApi.url}/finance/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount": ',
      retry: false,
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ error: 'invalid_request' });
  });
});
