/**
 * dual-auth/mcp with the real MCP SDK, end to end, against the local IAM (real
 * oidc-provider over HTTPS) for all four vendor profiles and the three delegations:
 * the agent is an MCP `Client` on `createDualAuthMcpTransport`, the server the example's
 * Streamable HTTP server (examples/mcp) behind the SDK's bearer middleware with
 * `createMcpTokenVerifier`. Refusals come with the SDK's 401/403 and WWW-Authenticate.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import express from 'express';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchReport, postInitialize } from '../../examples/mcp/agent.js';
import { DELEGATIONS, grantedScope, localIamFlow, type McpFlow } from '../../examples/mcp/flows.js';
import { fetchIamMetadata, startReportServer, type ReportServer, type ReportServerOptions } from '../../examples/mcp/report-server.js';
import { createAdapter, DualAuthError, getConfig, InSessionTokenRequest, MemoryReplayCache, type ReplayCache } from '../../src/index.js';
import { createDevCertificates, LOCAL_IAM_VENDORS, startLocalIam, type DevCertificates, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';
import { createDualAuthMcpTransport, createMcpTokenVerifier, dualAuthFetch, dualAuthIdentity } from '../../src/mcp/index.js';
import { startTestServer } from '../helpers/https-server.js';
import { markSensitive, rejection } from '../helpers/log-audit.js';

interface Vendor {
  iam: LocalIam;
  certificates: DevCertificates;
  oauthMetadata: OAuthMetadata;
}
const vendors = new Map<LocalIamVendor, Vendor>();
const starting = new Map<LocalIamVendor, Promise<void>>();
const servers: ReportServer[] = [];

/**
 * Starts a vendor's local IAM on first use (a `beforeAll` of the suites that need it): a run of
 * some tests only (mutation testing runs only the tests that cover a mutant) starts only theirs.
 */
function startVendor(vendor: LocalIamVendor): Promise<void> {
  let started = starting.get(vendor);
  if (!started) {
    started = (async () => {
      const certificates = await createDevCertificates();
      const iam = await startLocalIam({ vendor, certificates });
      markSensitive(iam.agent.clientSecret, iam.testUser.email, iam.testUser.name);
      vendors.set(vendor, { iam, certificates, oauthMetadata: await fetchIamMetadata(iam.discoveryUrl, iam.caCert) });
    })();
    starting.set(vendor, started);
  }
  return started;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await Promise.allSettled(starting.values());
  await Promise.all([...vendors.values()].map((v) => v.iam.close()));
});

async function serve(v: Vendor, options: Omit<ReportServerOptions, 'oauthMetadata' | 'tls'>): Promise<ReportServer> {
  const server = await startReportServer({ ...options, oauthMetadata: v.oauthMetadata, tls: v.certificates });
  servers.push(server);
  return server;
}

/** The headers the agent's transport would send for `flow` (a token from its handler), for requests by hand. */
async function agentHeaders(flow: McpFlow): Promise<Record<string, string>> {
  const { tokenRequest, agentId, scope, act, subjectToken, actAssertion } = flow.agent;
  const token = await tokenRequest.requestToken({ agentId, scope, act, subjectToken, actAssertion });
  markSensitive(token.accessToken, token.actAssertion);
  return { authorization: `Bearer ${token.accessToken}`, ...(token.actAssertion ? { 'x-act-assertion': token.actAssertion } : {}) };
}

describe.each(LOCAL_IAM_VENDORS)('%s', (vendorName) => {
  beforeAll(() => startVendor(vendorName));
  const v = (): Vendor => vendors.get(vendorName) as Vendor;

  for (const delegation of DELEGATIONS) {
    it(`${delegation}: get_report sees the agent and the person; one IAM token for several MCP requests`, async () => {
      const { iam } = v();
      const flow = await localIamFlow(iam, delegation);
      const server = await serve(v(), { verifier: flow.verifier, requiredScopes: [grantedScope(iam, delegation)] });
      const before = iam.tokenRequestCount();
      const client = new Client({ name: 'finance-agent', version: '1.0.0' });
      await client.connect(createDualAuthMcpTransport({ url: server.url, ...flow.agent }));
      const first = await client.callTool({ name: 'get_report', arguments: { quarter: 'Q1' } });
      const second = await client.callTool({ name: 'get_report', arguments: { quarter: 'Q2' } });
      await client.close();
      const layout = delegation === 'token-exchange' ? 'delegated' : delegation;
      expect(first.structuredContent).toEqual({ quarter: 'Q1', agent: iam.agent.clientId, human: iam.testUser.id, layout, netWorth: 380_000 });
      expect(second.structuredContent).toMatchObject({ quarter: 'Q2', agent: iam.agent.clientId, human: iam.testUser.id });
      // initialize, notifications/initialized and two tools/call: one token from the IAM.
      expect(iam.tokenRequestCount() - before).toBe(1);
    });
  }

  describe('refused with the SDK answers', () => {
    let act: McpFlow;
    let scope: string;
    beforeAll(async () => {
      act = await localIamFlow(v().iam, 'act');
      scope = grantedScope(v().iam, 'act');
    });

    const expectRefusal = (answer: Awaited<ReturnType<typeof postInitialize>>, server: ReportServer, status: number, error: string, description: string) => {
      expect(answer.status).toBe(status);
      expect(answer.wwwAuthenticate).toBe(`Bearer error="${error}", error_description="${description}", scope="${server === undefined ? '' : scopeOf(server)}", resource_metadata="${server.resourceMetadataUrl}"`);
      expect(answer.body).toEqual({ error, error_description: description });
    };
    const scopeOf = (server: ReportServer): string => scopes.get(server) ?? '';
    const scopes = new Map<ReportServer, string>();
    const serveWith = async (options: Omit<ReportServerOptions, 'oauthMetadata' | 'tls'>): Promise<ReportServer> => {
      const server = await serve(v(), options);
      scopes.set(server, (options.requiredScopes ?? []).join(' '));
      return server;
    };

    it('no token: 401 invalid_token naming the protected-resource metadata', async () => {
      const server = await serveWith({ verifier: act.verifier, requiredScopes: [scope] });
      expectRefusal(await postInitialize(server.url, {}, v().iam.caCert), server, 401, 'invalid_token', 'Missing Authorization header');
    });

    it("the agent's own token (no person): 401", async () => {
      const server = await serveWith({ verifier: act.verifier, requiredScopes: [scope] });
      const own = await localIamFlow(v().iam, 'assertion');
      const headers = await agentHeaders(own);
      // Only the agent's own token: the application's assertion is not sent.
      const description = vendorName === 'entraid' ? 'X-Act-Assertion is missing' : 'Access token has no act claim';
      expectRefusal(await postInitialize(server.url, { authorization: headers.authorization as string }, v().iam.caCert), server, 401, 'invalid_token', description);
    });

    it('a token for another audience: 401', async () => {
      const server = await serveWith({ verifier: { ...act.verifier, audience: 'https://mcp.other.test/mcp', ...(vendorName === 'entraid' ? { actAssertionAudience: v().iam.apiAudience } : {}) }, requiredScopes: [scope] });
      expectRefusal(await postInitialize(server.url, await agentHeaders(act), v().iam.caCert), server, 401, 'invalid_token', 'Access token audience is not accepted');
    });

    it('a missing scope: 403 insufficient_scope, from the SDK (requiredScopes) and from the verifier (requiredScopes option)', async () => {
      const sdk = await serveWith({ verifier: act.verifier, requiredScopes: ['finance.write'] });
      expectRefusal(await postInitialize(sdk.url, await agentHeaders(act), v().iam.caCert), sdk, 403, 'insufficient_scope', 'Insufficient scope');
      const ours = await serveWith({ verifier: { ...act.verifier, requiredScopes: ['finance.write'] } });
      const answer = await postInitialize(ours.url, await agentHeaders(act), v().iam.caCert);
      expect(answer.status).toBe(403);
      expect(answer.wwwAuthenticate).toBe(`Bearer error="insufficient_scope", error_description="Token lacks a required scope", resource_metadata="${ours.resourceMetadataUrl}"`);
    });

    it('a replayed assertion (one call per assertion): 401 on its second use', async () => {
      const flow = await localIamFlow(v().iam, 'assertion');
      const server = await serveWith({ verifier: { ...flow.verifier, actAssertionReplayCache: new MemoryReplayCache() }, requiredScopes: [grantedScope(v().iam, 'assertion')] });
      const headers = await agentHeaders(flow);
      expect((await postInitialize(server.url, headers, v().iam.caCert)).status).toBe(200);
      expectRefusal(await postInitialize(server.url, headers, v().iam.caCert), server, 401, 'invalid_token', 'Act assertion was already used (replay)');
      // The MCP client meets the same refusal: its second request reuses the assertion.
      const client = new Client({ name: 'finance-agent', version: '1.0.0' });
      const failure = await rejection(client.connect(createDualAuthMcpTransport({ url: server.url, ...flow.agent })));
      expect(failure.code).toBe(401);
      expect(failure.message).toContain('Act assertion was already used (replay)');
    });

    it('the MCP client gets the refusal as an error at connect', async () => {
      const server = await serveWith({ verifier: act.verifier, requiredScopes: ['finance.write'] });
      const client = new Client({ name: 'finance-agent', version: '1.0.0' });
      const failure = await rejection(client.connect(createDualAuthMcpTransport({ url: server.url, ...act.agent })));
      expect(failure.code).toBe(403);
      expect(failure.message).toContain('insufficient_scope');
    });
  });
});

describe('the server side, in detail (keycloak profile)', () => {
  beforeAll(() => startVendor('keycloak'));
  const v = (): Vendor => vendors.get('keycloak') as Vendor;

  it('serves the protected-resource metadata (RFC 9728) naming the IAM', async () => {
    const flow = await localIamFlow(v().iam, 'act');
    const server = await serve(v(), { verifier: flow.verifier, requiredScopes: ['finance.read'] });
    const dispatcher = new Agent({ connect: { ca: v().iam.caCert } });
    try {
      const metadata = (await (await fetch(server.resourceMetadataUrl, { dispatcher })).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ resource: server.url, authorization_servers: [v().iam.issuer], scopes_supported: ['finance.read'] });
    } finally {
      await dispatcher.close();
    }
  });

  it('AuthInfo: clientId = the agent, scopes, expiresAt, resource = the audience, extra = { agent, human, layout } without email or name', async () => {
    const { iam } = v();
    const flow = await localIamFlow(iam, 'act');
    const headers = await agentHeaders(flow);
    const token = (headers.authorization as string).slice('Bearer '.length);
    const info = await createMcpTokenVerifier(flow.verifier).verifyAccessToken(token);
    expect(info).toMatchObject({ token, clientId: iam.agent.clientId, scopes: ['finance.read'], resource: new URL(iam.apiAudience) });
    expect(info.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(dualAuthIdentity(info)).toEqual({ agent: expect.objectContaining({ id: iam.agent.clientId }), human: { id: iam.testUser.id }, layout: 'act' });
    expect(JSON.stringify(info.extra)).not.toMatch(new RegExp(`${iam.testUser.email}|${iam.testUser.name}`));
    const detailed = await createMcpTokenVerifier({ ...flow.verifier, includePersonDetails: true }).verifyAccessToken(token);
    expect(dualAuthIdentity(detailed).human).toEqual({ id: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name });
    expect(() => dualAuthIdentity(undefined)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_MISSING' }));
  });

  it("works with the SDK's own requireBearerAuth and expectedResource", async () => {
    const { iam, certificates } = v();
    const flow = await localIamFlow(iam, 'act');
    const verifier = createMcpTokenVerifier(flow.verifier);
    const app = express();
    app.get('/ours', requireBearerAuth({ verifier, expectedResource: new URL(iam.apiAudience) }), (req, res) => {
      res.json(dualAuthIdentity(req.auth).human);
    });
    app.get('/other', requireBearerAuth({ verifier, expectedResource: new URL('https://mcp.other.test/mcp') }), (_req, res) => {
      res.json({});
    });
    const server: Server = createServer({ key: certificates.key, cert: certificates.cert }, app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dispatcher = new Agent({ connect: { ca: iam.caCert } });
    try {
      const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const headers = await agentHeaders(flow);
      const ours = await fetch(`${base}/ours`, { headers, dispatcher });
      expect(ours.status).toBe(200);
      expect(await ours.json()).toEqual({ id: iam.testUser.id });
      const other = await fetch(`${base}/other`, { headers, dispatcher });
      expect(other.status).toBe(401);
      expect(other.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="Token was not issued for this resource"');
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("the plain requireBearerAuth cannot see X-Act-Assertion (hence requireDualAuth): an Entra ID call is refused without it", async () => {
    await startVendor('entraid');
    const entra = vendors.get('entraid') as Vendor;
    const flow = await localIamFlow(entra.iam, 'act');
    const verifier = createMcpTokenVerifier(flow.verifier);
    expect(verifier.readsActAssertion).toBe(true);
    const headers = await agentHeaders(flow);
    const token = (headers.authorization as string).slice('Bearer '.length);
    const failure = await rejection(verifier.verifyAccessToken(token));
    expect(failure).toMatchObject({ name: 'InvalidTokenError', message: 'X-Act-Assertion is missing' });
    expect((failure.cause as { code?: string }).code).toBe('ERR_ACT_ASSERTION_MISSING');
    const bound = await verifier.forRequest({ headers: new Headers(headers) }).verifyAccessToken(token);
    expect(dualAuthIdentity(bound).human.id).toBe(entra.iam.testUser.id);
  });

  it('a JWKS that cannot be fetched: 503 with Retry-After from requireDualAuth (500 from the SDK\'s own requireBearerAuth), never an acceptance', async () => {
    const { iam, certificates } = v();
    const flow = await localIamFlow(iam, 'act');
    const unreachable = { ...flow.verifier, jwksUri: `${iam.issuer}/no-such-jwks`, jwksTimeoutMs: 2_000 };
    const server = await serve(v(), { verifier: unreachable });
    const headers = await agentHeaders(flow);
    const answer = await postInitialize(server.url, headers, iam.caCert);
    expect(answer).toMatchObject({ status: 503, retryAfter: '5', wwwAuthenticate: null });
    expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/^JWKS /) });
    // The SDK's middleware maps the verifier's ServerError to 500: docs/mcp.md says so.
    const app = express();
    app.post('/mcp', requireBearerAuth({ verifier: createMcpTokenVerifier(unreachable) }), (_req, res) => {
      res.json({});
    });
    const sdkServer: Server = createServer({ key: certificates.key, cert: certificates.cert }, app);
    await new Promise<void>((resolve) => sdkServer.listen(0, '127.0.0.1', resolve));
    try {
      const sdkAnswer = await postInitialize(`https://127.0.0.1:${(sdkServer.address() as AddressInfo).port}/mcp`, headers, iam.caCert);
      expect(sdkAnswer).toMatchObject({ status: 500, retryAfter: null, body: { error: 'server_error', error_description: expect.stringMatching(/^JWKS /) } });
    } finally {
      sdkServer.closeAllConnections();
      await new Promise<void>((resolve) => sdkServer.close(() => resolve()));
    }
  });

  it('a replay store that cannot be reached (ERR_REPLAY_STORE_UNAVAILABLE): 503 with Retry-After, never an acceptance', async () => {
    const { iam } = v();
    const flow = await localIamFlow(iam, 'assertion');
    // A stand-in for a stopped Redis: the store's checkAndStore fails as RedisReplayCache's does.
    const store: ReplayCache = {
      checkAndStore: () => Promise.reject(new DualAuthError('Redis replay store unavailable (timeout): the JWT is refused', 'ERR_REPLAY_STORE_UNAVAILABLE')),
    };
    const server = await serve(v(), { verifier: { ...flow.verifier, actAssertionReplayCache: store }, requiredScopes: [grantedScope(iam, 'assertion')] });
    const answer = await postInitialize(server.url, await agentHeaders(flow), iam.caCert);
    expect(answer).toMatchObject({ status: 503, retryAfter: '5', wwwAuthenticate: null });
    expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: 'Redis replay store unavailable (timeout): the JWT is refused' });
    // The other refusals keep the SDK's answers: a missing scope is still its 403.
    const scoped = await serve(v(), { verifier: flow.verifier, requiredScopes: ['finance.write'] });
    expect((await postInitialize(scoped.url, await agentHeaders(flow), iam.caCert)).status).toBe(403);
  });
});

describe('the client side, in detail', () => {
  it('refreshes through the token cache: a new IAM token once the cached one expires', async () => {
    const certificates = await createDevCertificates();
    // Tokens live 10 s; the cache hands one out while 7 s are left (3 s of reuse), so no token expires
    // during an MCP request, even on a loaded machine (a 0 s skew made the last request race the expiry).
    const iam = await startLocalIam({ vendor: 'keycloak', certificates, accessTokenTtlSeconds: 10 });
    markSensitive(iam.agent.clientSecret);
    try {
      const config = await getConfig({ env: iam.env });
      const tokenRequest = new InSessionTokenRequest(createAdapter(config, { ca: iam.caCert }), { cache: { skewSeconds: 7 } });
      const verifier = { vendor: 'keycloak' as const, issuer: iam.issuer, audience: iam.apiAudience, jwksUri: iam.jwksUri, ca: iam.caCert, clockToleranceSeconds: 0 };
      const server = await startReportServer({ verifier, oauthMetadata: await fetchIamMetadata(iam.discoveryUrl, iam.caCert), tls: certificates });
      servers.push(server);
      const options = { url: server.url, tokenRequest, agentId: config.clientId, scope: ['finance.read'], act: { sub: iam.testUser.id }, ca: iam.caCert };
      const started = Date.now();
      await fetchReport(options);
      // Several MCP requests, one IAM token (unless the machine took longer than the reuse window).
      if (Date.now() - started < 2_500) expect(iam.tokenRequestCount()).toBe(1);
      const before = iam.tokenRequestCount();
      await new Promise((resolve) => setTimeout(resolve, 3_200));
      // The cached token's reuse has ended: the next MCP requests carry a new one.
      expect(await fetchReport(options)).toMatchObject({ agent: config.clientId, human: iam.testUser.id });
      expect(iam.tokenRequestCount()).toBeGreaterThan(before);
    } finally {
      await iam.close();
    }
  }, 60_000); // two MCP sessions and a wait: over 20 s on a loaded machine under Stryker

  it("sends the token to the MCP server's origin only: other requests (OAuth discovery, the authorization server) go out untouched", async () => {
    await startVendor('entraid');
    const { iam, certificates } = vendors.get('entraid') as Vendor;
    const seen: Array<{ port: number; authorization?: string; assertion?: string }> = [];
    const echo = async (): Promise<Server> => {
      const server = createServer({ key: certificates.key, cert: certificates.cert }, (req, res) => {
        seen.push({ port: (req.socket.localPort as number) ?? 0, authorization: req.headers.authorization, assertion: req.headers['x-act-assertion'] as string | undefined });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    };
    const mcpServer = await echo();
    const otherServer = await echo();
    try {
      const flow = await localIamFlow(iam, 'act');
      const port = (s: Server) => (s.address() as AddressInfo).port;
      const send = dualAuthFetch({ url: `https://127.0.0.1:${port(mcpServer)}/mcp`, ...flow.agent });
      await send(`https://127.0.0.1:${port(mcpServer)}/mcp`, { method: 'POST', body: '{}' });
      await send(`https://127.0.0.1:${port(otherServer)}/.well-known/oauth-authorization-server`, { headers: { accept: 'application/json' } });
      expect(seen[0]).toMatchObject({ port: port(mcpServer), authorization: expect.stringMatching(/^Bearer eyJ/), assertion: expect.stringMatching(/^eyJ/) });
      expect(seen[1]).toEqual({ port: port(otherServer), authorization: undefined, assertion: undefined });
      markSensitive(seen[0]?.authorization?.slice(7), seen[0]?.assertion);
    } finally {
      for (const server of [mcpServer, otherServer]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  it('never follows a redirect with the credentials: an MCP server answering 307/302 to another origin, that origin sees nothing', async () => {
    const { iam } = vendors.get('entraid') as Vendor;
    const flow = await localIamFlow(iam, 'act');
    const elsewhere = await startTestServer();
    const mcpServer = await startTestServer((_request, res) => {
      res.writeHead(307, { location: elsewhere.url('/mcp') }).end();
    });
    try {
      // The test servers' own CA, for both origins (one CA per test file).
      const send = dualAuthFetch({ url: mcpServer.url('/mcp'), ...flow.agent, ca: mcpServer.caCert });
      for (const status of [307, 302]) {
        mcpServer.handle((_request, res) => {
          res.writeHead(status, { location: elsewhere.url('/mcp') }).end();
        });
        const answer = await send(mcpServer.url('/mcp'), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
        expect(answer.status).toBe(status);
        expect(answer.headers.get('location')).toBe(elsewhere.url('/mcp'));
      }
      // A caller's redirect: 'follow' does not turn it back on.
      await send(mcpServer.url('/mcp'), { method: 'GET', redirect: 'follow' });
      expect(mcpServer.requests).toHaveLength(3);
      expect(mcpServer.requests[0]?.headers).toMatchObject({ authorization: expect.stringMatching(/^Bearer eyJ/), 'x-act-assertion': expect.stringMatching(/^eyJ/) });
      markSensitive(mcpServer.requests[0]?.headers.authorization?.slice(7), mcpServer.requests[0]?.headers['x-act-assertion'] as string);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await Promise.all([mcpServer.close(), elsewhere.close()]);
    }
  });

  it('refuses a non-HTTPS MCP server URL and a missing token handler', () => {
    const tokenRequest = { requestToken: async () => Promise.reject(new Error('unused')) };
    expect(() => dualAuthFetch({ url: 'http://mcp.example.test/mcp', tokenRequest, agentId: 'a', scope: ['s'] })).toThrow(expect.objectContaining({ code: 'ERR_INSECURE_URL' }));
    expect(() => dualAuthFetch({ url: 'https://mcp.example.test/mcp', tokenRequest: undefined as never, agentId: 'a', scope: ['s'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
