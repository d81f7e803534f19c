/**
 * An MCP server on Streamable HTTP (Express, over HTTPS) with one tool, `get_report`,
 * that answers with the agent and the person it sees. The MCP server is an OAuth
 * resource server: every request is checked by the SDK's bearer middleware with
 * dual-auth's verifier (`requireDualAuth`, which also reads X-Act-Assertion), and the
 * protected-resource metadata (RFC 9728) names the IAM as the authorization server.
 *
 * An application writes `from 'dual-auth/mcp'`; the examples import the source.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getOAuthProtectedResourceMetadataUrl, mcpAuthMetadataRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { OAuthMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { createMcpTokenVerifier, dualAuthIdentity, requireDualAuth, type McpVerifierOptions } from '../../src/mcp/index.js';
import { HttpClient } from '../../src/index.js';

export interface ReportServerOptions {
  /** How the server verifies the agent's tokens (dual-auth's verifier options). */
  verifier: McpVerifierOptions;
  /** The IAM's authorization-server metadata, named in the protected-resource metadata. */
  oauthMetadata: OAuthMetadata;
  /** Scopes every MCP request needs (the SDK's `requiredScopes`). */
  requiredScopes?: string[];
  tls: { key: string | Buffer; cert: string | Buffer };
  /** Default 0: any free port on 127.0.0.1. */
  port?: number;
}

export interface ReportServer {
  /** The MCP endpoint, e.g. https://127.0.0.1:8443/mcp */
  url: string;
  /** Where the protected-resource metadata is served (RFC 9728). */
  resourceMetadataUrl: string;
  close(): Promise<void>;
}

/** What get_report answers: the agent and the person it saw, and the report. */
export interface Report {
  [key: string]: unknown;
  quarter: string;
  agent: string;
  human: string;
  layout: string;
  /** Only with the verifier's `includePersonDetails`: absent by default. */
  humanEmail?: string;
  netWorth: number;
}

/** One MCP server per request (stateless Streamable HTTP): the identity comes with each request, never from a session. */
function reportMcpServer(): McpServer {
  const mcp = new McpServer({ name: 'finance-reports', version: '1.0.0' });
  mcp.registerTool(
    'get_report',
    {
      title: 'Quarterly finance report',
      description: 'The finance report of the person the agent acts for',
      inputSchema: { quarter: z.enum(['Q1', 'Q2', 'Q3', 'Q4']).default('Q4') },
    },
    async ({ quarter }, extra) => {
      // Who calls (the agent) and for whom (the person), as verified from the token.
      const { agent, human, layout } = dualAuthIdentity(extra.authInfo);
      // Entra ID names a person by `oid` everywhere; its `sub` of a person differs per application.
      const report: Report = { quarter, agent: agent.id, human: human.oid ?? human.id, layout, netWorth: 380_000, ...(human.email ? { humanEmail: human.email } : {}) };
      return { content: [{ type: 'text', text: JSON.stringify(report) }], structuredContent: report };
    },
  );
  return mcp;
}

export async function startReportServer(options: ReportServerOptions): Promise<ReportServer> {
  const app = createMcpExpressApp({ host: '127.0.0.1' });
  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' }, app);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(url);

  // RFC 9728: where a client learns which authorization server issues this server's tokens.
  app.use(mcpAuthMetadataRouter({ oauthMetadata: options.oauthMetadata, resourceServerUrl: url, scopesSupported: options.requiredScopes, resourceName: 'Finance reports' }));
  const auth = requireDualAuth({ verifier: createMcpTokenVerifier(options.verifier), requiredScopes: options.requiredScopes, resourceMetadataUrl });

  app.post('/mcp', auth, async (req: Request, res: Response) => {
    const mcp = reportMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
  for (const method of ['get', 'delete'] as const) {
    app[method]('/mcp', auth, (_req: Request, res: Response) => {
      res.status(405).set('allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed' }, id: null });
    });
  }

  return {
    url: url.href,
    resourceMetadataUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The IAM's OpenID/OAuth metadata (its discovery document), read over HTTPS with the given CA. */
export async function fetchIamMetadata(discoveryUrl: string, ca?: string): Promise<OAuthMetadata> {
  const answer = await new HttpClient({ ca, retries: 1 }).request(discoveryUrl, { headers: { accept: 'application/json' } });
  if (answer.status !== 200) throw new Error(`The IAM's discovery document answered HTTP ${answer.status}`);
  return JSON.parse(answer.body.toString('utf8')) as OAuthMetadata;
}
