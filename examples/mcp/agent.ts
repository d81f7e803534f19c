/**
 * The agent as an MCP client: one call sets up the transport for the person it acts
 * for (`createDualAuthMcpTransport`); every MCP request then carries the dual-subject
 * token, and the act assertion where the flow has one. Tokens come through the token
 * handler's cache: one IAM request per token lifetime, not one per MCP request.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Agent, fetch } from 'undici';
import { createDualAuthMcpTransport, type DualAuthFetchOptions } from '../../src/mcp/index.js';
import type { Report } from './report-server.js';

/** Connects to the MCP server for one person, calls `get_report`, and closes. */
export async function fetchReport(options: DualAuthFetchOptions, quarter = 'Q4'): Promise<Report> {
  const client = new Client({ name: 'finance-agent', version: '1.0.0' });
  await client.connect(createDualAuthMcpTransport(options));
  try {
    const result = await client.callTool({ name: 'get_report', arguments: { quarter } });
    if (result.isError) throw new Error(`get_report failed: ${JSON.stringify(result.content)}`);
    return result.structuredContent as Report;
  } finally {
    await client.close();
  }
}

/** The answer to an MCP request sent by hand (what a caller without a valid dual-subject token gets). */
export interface RawAnswer {
  status: number;
  wwwAuthenticate: string | null;
  retryAfter: string | null;
  body: unknown;
}

/** POSTs an MCP `initialize` request with the given headers, through a fetch that trusts `ca`. */
export async function postInitialize(url: string, headers: Record<string, string>, ca: string): Promise<RawAnswer> {
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const response = await fetch(url, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'by-hand', version: '0' } } }),
    });
    const text = await response.text();
    return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), retryAfter: response.headers.get('retry-after'), body: text.startsWith('{') ? JSON.parse(text) : text };
  } finally {
    await dispatcher.close();
  }
}
