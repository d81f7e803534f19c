/**
 * dual-auth/mcp against the real Keycloak 26: every token below is issued and signed by
 * Keycloak. The agent is the MCP SDK's `Client` on `createDualAuthMcpTransport`; the MCP
 * server is the example's (examples/mcp: Streamable HTTP on Express over HTTPS, the SDK's
 * bearer middleware with `createMcpTokenVerifier`, the RFC 9728 metadata naming the realm).
 * The three delegations are called, and the refusals come with the SDK's 401/403.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { OAuthMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchReport, postInitialize } from '../../examples/mcp/agent.js';
import { fetchIamMetadata, startReportServer, type ReportServer, type ReportServerOptions } from '../../examples/mcp/report-server.js';
import { createAdapter, getConfig, HybridSender, InSessionTokenRequest, MemoryReplayCache, type Delegation } from '../../src/index.js';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/index.js';
import type { DualAuthFetchOptions, McpVerifierOptions } from '../../src/mcp/index.js';
import { markSensitive } from '../helpers/log-audit.js';
import { ca, env, loginTestUser } from './helpers.js';

const AGENT = env.AGENT_CLIENT_ID;
const VERIFIER: McpVerifierOptions = { vendor: 'keycloak', issuer: env.KEYCLOAK_ISSUER, audience: env.KEYCLOAK_API_AUDIENCE, jwksUri: env.KEYCLOAK_JWKS_URL, ca };
const application = generateKeyPairSync('rsa', { modulusLength: 2048 });

let certificates: DevCertificates;
let oauthMetadata: OAuthMetadata;
const servers: ReportServer[] = [];

beforeAll(async () => {
  certificates = await createDevCertificates();
  oauthMetadata = await fetchIamMetadata(`${env.KEYCLOAK_ISSUER}/.well-known/openid-configuration`, ca);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(options: Omit<ReportServerOptions, 'oauthMetadata' | 'tls'>): Promise<ReportServer> {
  const server = await startReportServer({ ...options, oauthMetadata, tls: certificates });
  servers.push(server);
  return server;
}

/** The agent's transport options and the MCP server's verifier for one delegation, on the real realm. */
async function flow(delegation: Delegation): Promise<{ verifier: McpVerifierOptions; agent: Omit<DualAuthFetchOptions, 'url'> }> {
  const config = await getConfig({ vendor: 'keycloak', env: { ...env }, delegation });
  const tokenRequest = new InSessionTokenRequest(createAdapter(config, { ca, retries: 0, delegation }), { cache: true });
  const agent = { tokenRequest, agentId: AGENT, scope: ['finance.read'], ca: certificates.caCert };
  switch (delegation) {
    case 'token-exchange':
      return { verifier: { ...VERIFIER, layout: 'delegated' }, agent: { ...agent, subjectToken: (await loginTestUser()).accessToken } };
    case 'assertion': {
      const sender = new HybridSender({ privateKey: application.privateKey });
      const actAssertion = await sender.prepareActAssertion({ act: { sub: env.TEST_USER_ID }, agentId: AGENT, apiAudience: env.KEYCLOAK_API_AUDIENCE });
      markSensitive(actAssertion);
      return { verifier: { ...VERIFIER, layout: 'assertion', actAssertionKey: await sender.publicJwks() }, agent: { ...agent, actAssertion } };
    }
    default:
      return { verifier: VERIFIER, agent: { ...agent, act: { sub: env.TEST_USER_ID, email: env.TEST_USER_EMAIL } } };
  }
}

async function headersFor(agent: Omit<DualAuthFetchOptions, 'url'>): Promise<Record<string, string>> {
  const token = await agent.tokenRequest.requestToken({ agentId: agent.agentId, scope: agent.scope, act: agent.act, subjectToken: agent.subjectToken, actAssertion: agent.actAssertion });
  markSensitive(token.accessToken);
  return { authorization: `Bearer ${token.accessToken}`, ...(token.actAssertion ? { 'x-act-assertion': token.actAssertion } : {}) };
}

describe('an agent calls an MCP tool for the person, with Keycloak tokens', () => {
  for (const [delegation, layout] of [
    ['act', 'act'],
    ['token-exchange', 'delegated'],
    ['assertion', 'assertion'],
  ] as const) {
    it(`${delegation}: get_report sees the agent and the person (layout ${layout})`, async () => {
      const { verifier, agent } = await flow(delegation);
      const server = await serve({ verifier, requiredScopes: ['finance.read'] });
      const report = await fetchReport({ url: server.url, ...agent });
      expect(report).toEqual({ quarter: 'Q4', agent: AGENT, human: env.TEST_USER_ID, layout, netWorth: 380_000 });
    });
  }
});

describe('the MCP server refuses, with the SDK answers', () => {
  it('no token, the agent-only token, another audience, a missing scope, a replayed assertion', async () => {
    const act = await flow('act');
    const own = await flow('assertion');
    const ownToken = (await headersFor(own.agent)).authorization as string;
    const cases: Array<{ what: string; verifier: McpVerifierOptions; scopes: string[]; headers: Record<string, string>; status: number; description: string }> = [
      { what: 'no token', verifier: act.verifier, scopes: ['finance.read'], headers: {}, status: 401, description: 'Missing Authorization header' },
      { what: "the agent's own token", verifier: act.verifier, scopes: ['finance.read'], headers: { authorization: ownToken }, status: 401, description: 'Access token has no act claim' },
      { what: 'another audience', verifier: { ...act.verifier, audience: 'https://mcp.other.test/mcp' }, scopes: ['finance.read'], headers: await headersFor(act.agent), status: 401, description: 'Access token audience is not accepted' },
      { what: 'a missing scope', verifier: act.verifier, scopes: ['finance.admin'], headers: await headersFor(act.agent), status: 403, description: 'Insufficient scope' },
    ];
    for (const c of cases) {
      const server = await serve({ verifier: c.verifier, requiredScopes: c.scopes });
      const answer = await postInitialize(server.url, c.headers, certificates.caCert);
      expect({ what: c.what, status: answer.status }).toEqual({ what: c.what, status: c.status });
      const error = c.status === 403 ? 'insufficient_scope' : 'invalid_token';
      expect(answer.wwwAuthenticate).toBe(`Bearer error="${error}", error_description="${c.description}", scope="${c.scopes.join(' ')}", resource_metadata="${server.resourceMetadataUrl}"`);
    }

    const replayed = await serve({ verifier: { ...own.verifier, actAssertionReplayCache: new MemoryReplayCache() }, requiredScopes: ['finance.read'] });
    const headers = await headersFor(own.agent);
    expect((await postInitialize(replayed.url, headers, certificates.caCert)).status).toBe(200);
    const again = await postInitialize(replayed.url, headers, certificates.caCert);
    expect(again.status).toBe(401);
    expect(again.wwwAuthenticate).toContain('error_description="Act assertion was already used (replay)"');
  });
});
