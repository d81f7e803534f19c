/**
 * `dual-auth/mcp`: dual-subject tokens in the Model Context Protocol.
 * - Server side: `createMcpTokenVerifier` is the SDK's `OAuthTokenVerifier` on dual-auth's
 *   verifier (every vendor, every layout); `requireDualAuth` runs the SDK's `requireBearerAuth`
 *   with the request's `X-Act-Assertion`; `dualAuthIdentity(extra.authInfo)` gives a tool the
 *   agent and the person.
 * - Client side: `createDualAuthMcpTransport` (or `dualAuthFetch` for a transport of your own)
 *   sends the person's dual-subject token with every MCP request, refreshed through the token cache.
 *
 * `@modelcontextprotocol/sdk` (1.x) is an optional peer: install it to use this entry.
 */
export { createMcpTokenVerifier, requireDualAuth, dualAuthIdentity } from './server.js';
export type { McpVerifierOptions, McpTokenVerifier, DualAuthExtra, RequireDualAuthOptions, RequestWithHeaders } from './server.js';
export { dualAuthFetch, createDualAuthMcpTransport } from './client.js';
export type { DualAuthFetchOptions, DualAuthMcpTransportOptions, McpTokenSource } from './client.js';
export type { AgentIdentity, HumanIdentity, TokenLayout, VerifyOptions } from '../verify/types.js';
