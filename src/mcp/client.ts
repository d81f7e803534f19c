/**
 * The MCP client side: the agent's MCP `Client` sends the dual-subject token (and the
 * act assertion, when the flow has one) with every request to the MCP server.
 *
 * The hook is the transport's `fetch` option, the SDK's supported way to customise its
 * HTTP requests. It is chosen over the others because:
 * - `requestInit.headers` is fixed once (no refresh), and the SDK also sends it to the
 *   authorization server during its own OAuth discovery;
 * - an `OAuthClientProvider` makes the SDK run its OAuth flows on a 401, with requests
 *   (authorization code, its own client credentials) that cannot carry the person.
 * The fetch wrapper adds the headers only to requests for the MCP server's origin, so
 * the SDK's discovery and any authorization-server request go out untouched, and asks
 * the token handler for a token on each request: the handler's token cache (`cache`
 * option) answers until the token is about to expire, then fetches a new one.
 *
 * A request that carries the token is sent with `redirect: 'manual'`: a redirect comes back
 * to the SDK as the 3xx answer it is (an error to the transport), never followed. Following it
 * would send the dual-subject token and the act assertion to wherever the `Location` points
 * (fetch drops `Authorization` on a cross-origin redirect, not `X-Act-Assertion`). This is
 * chosen over following same-origin redirects only: an MCP endpoint has one URL, so a redirect
 * is a misconfiguration to see, not to work around.
 */
import { StreamableHTTPClientTransport, type StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import type { TokenRequestParams } from '../adapters/base.js';
import type { TokenResponse } from '../domain/token-response.js';
import { DualAuthError } from '../errors.js';
import { requireHttpsUrl } from '../http/client.js';
import { buildTrustedCas, type CaOption } from '../http/tls.js';

/** What gives the agent its tokens: an InSessionTokenRequest or OutOfSessionTokenRequest (with a `cache`), or an adapter. */
export interface McpTokenSource {
  requestToken(params: TokenRequestParams): Promise<TokenResponse>;
}

export interface DualAuthFetchOptions extends Omit<TokenRequestParams, 'signal'> {
  /** The MCP server's endpoint (HTTPS). The token is sent to this origin only. */
  url: string | URL;
  /**
   * The token handler. Give it a cache (`new InSessionTokenRequest(adapter, { cache: true })`,
   * or a RedisTokenCache): it is asked on every MCP request, and without a cache each request
   * costs a token request at the IAM.
   */
  tokenRequest: McpTokenSource;
  /** Private CA(s) trusted for the MCP server, on top of Node's store and NODE_EXTRA_CA_CERTS. Ignored with `fetch`. */
  ca?: CaOption;
  /** The fetch to send through (e.g. one with a proxy). Default is undici's fetch (the CA above), or the global fetch without `ca`. */
  fetch?: FetchLike;
}

/**
 * A fetch for an MCP client transport (`new StreamableHTTPClientTransport(url, { fetch })`,
 * or the SSE one): requests to the MCP server's origin carry `Authorization: Bearer` with a
 * dual-subject token for the person, and `X-Act-Assertion` when the token comes with one,
 * and are never redirected (a 3xx answer is returned as is); any other request is passed on
 * unchanged.
 * @throws DualAuthError `ERR_INSECURE_URL` for a non-HTTPS `url`, `ERR_INVALID_ARGUMENT` without a token handler.
 */
export function dualAuthFetch(options: DualAuthFetchOptions): FetchLike {
  const { url, tokenRequest, ca, fetch: given, ...params } = options ?? ({} as DualAuthFetchOptions);
  const origin = requireHttpsUrl(url, 'MCP server URL must use HTTPS (https://)').origin;
  if (!tokenRequest || typeof tokenRequest.requestToken !== 'function') {
    throw new DualAuthError('dualAuthFetch needs a tokenRequest (InSessionTokenRequest, OutOfSessionTokenRequest or an adapter)', 'ERR_INVALID_ARGUMENT');
  }
  const send = given ?? (ca === undefined ? (globalThis.fetch as FetchLike) : trustingFetch(ca));

  return async (input, init) => {
    if (new URL(String(input)).origin !== origin) return send(input, init);
    const signal = init?.signal ?? undefined;
    const token = await tokenRequest.requestToken({ ...params, ...(signal ? { signal } : {}) });
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token.accessToken}`);
    if (token.actAssertion) headers.set('x-act-assertion', token.actAssertion);
    else headers.delete('x-act-assertion');
    // 'error' is as safe as 'manual'; 'follow' (fetch's default) is never used with the token.
    return send(input, { ...init, headers, redirect: init?.redirect === 'error' ? 'error' : 'manual' });
  };
}

export interface DualAuthMcpTransportOptions extends DualAuthFetchOptions {
  /** Further options of the SDK's StreamableHTTPClientTransport (`fetch` is this module's). */
  transportOptions?: Omit<StreamableHTTPClientTransportOptions, 'fetch'>;
}

/**
 * One call sets up the agent's MCP transport for one person: a `StreamableHTTPClientTransport`
 * whose every request carries the dual-subject token (see {@link dualAuthFetch}).
 *
 * @example
 * ```ts
 * const transport = createDualAuthMcpTransport({ url, tokenRequest, agentId, scope: ['finance.read'], act: { sub: userId } });
 * await new Client({ name: 'finance-agent', version: '1.0.0' }).connect(transport);
 * ```
 */
export function createDualAuthMcpTransport(options: DualAuthMcpTransportOptions): StreamableHTTPClientTransport {
  const { transportOptions, ...fetchOptions } = options ?? ({} as DualAuthMcpTransportOptions);
  const fetch = dualAuthFetch(fetchOptions);
  return new StreamableHTTPClientTransport(new URL(String(fetchOptions.url)), { ...transportOptions, fetch });
}

/**
 * undici's fetch over an Agent that trusts `ca` as well as Node's store: streams (the SSE
 * answers of Streamable HTTP) are read as they come, which the library's buffered HttpClient
 * does not do.
 */
function trustingFetch(ca: CaOption): FetchLike {
  const trusted = buildTrustedCas(ca);
  // undici is loaded at the first MCP request, not when dual-auth/mcp is imported (issue 13).
  let ready: Promise<{ fetch: typeof undiciFetch; dispatcher: Dispatcher }> | undefined;
  return async (input, init) => {
    ready ??= import('undici').then(({ Agent, fetch }) => ({ fetch, dispatcher: new Agent({ connect: { ca: trusted } }) }));
    const { fetch, dispatcher } = await ready;
    return fetch(String(input), { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  };
}
