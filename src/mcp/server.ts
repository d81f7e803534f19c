/**
 * The MCP server side: an MCP server is an OAuth resource server (MCP authorization,
 * RFC 9728). The SDK verifies the bearer token through a pluggable `OAuthTokenVerifier`
 * and hands the tool handler its `AuthInfo` (`extra.authInfo`); this module is that
 * verifier on dual-auth's, so a tool knows the agent (the OAuth client) and the person
 * it acts for, in every layout and for every vendor.
 *
 * The SDK's `requireBearerAuth` gives a verifier the token only. A flow whose person
 * travels in the `X-Act-Assertion` header (Entra ID, the 'assertion' layout) needs the
 * request: `requireDualAuth` is the SDK's own `requireBearerAuth`, run per request with
 * a verifier bound to that request's headers, so its answers (401/403, WWW-Authenticate
 * with `resource_metadata`) stay the SDK's. One answer is `requireDualAuth`'s own: the
 * SDK's middleware knows no 503 (a verifier's `ServerError` is its 500), so when the IAM's
 * keys or the replay store cannot be reached it answers 503 with Retry-After, as the
 * Express, Fastify and Hono middlewares do.
 */
import { InsufficientScopeError, InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth, type BearerAuthMiddlewareOptions } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { RequestHandler } from 'express';
import type { JWTPayload } from 'jose';
import { DualAuthError } from '../errors.js';
import { bearerErrorResponse, headerValue } from '../verify/bearer.js';
import { httpStatusFor } from '../verify/errors.js';
import type { AgentIdentity, DualSubjectIdentity, HumanIdentity, TokenLayout, VerifyOptions } from '../verify/types.js';
import { createDualSubjectVerifier } from '../verify/verifier.js';

export interface McpVerifierOptions extends VerifyOptions {
  /**
   * Put the person's `email` and `name` (when the token or assertion carries them) into
   * `AuthInfo.extra.human`. Off by default: the SDK hands `AuthInfo` to every tool handler,
   * and tools log and echo what they get; the IAM id (`human.id`) is enough to act on.
   * Default is false.
   */
  includePersonDetails?: boolean;
}

/** `AuthInfo.extra` of a dual-subject token: who calls the tool, and for whom. */
export interface DualAuthExtra {
  /** The agent: the OAuth client (`AuthInfo.clientId` is its id). */
  agent: AgentIdentity;
  /** The person the agent acts for: their IAM id (and `oid` on Entra ID); email and name only with `includePersonDetails`. */
  human: HumanIdentity;
  /** The layout the token was read in, and so who vouched for the person. */
  layout: TokenLayout;
}

/** Anything whose request headers can be read: Node's IncomingMessage (Express), or a web `Request`. */
export type RequestWithHeaders = { headers: Headers } | { headers: Record<string, string | string[] | undefined> };

export interface McpTokenVerifier extends OAuthTokenVerifier {
  /**
   * Verifies `token` (an `Authorization: Bearer` value) and returns the SDK's `AuthInfo`:
   * `clientId` = the agent, `scopes`, `expiresAt` = `exp`, `resource` = the audience it was
   * accepted for (when that is a URL) and `extra` = {@link DualAuthExtra}. A refusal is the
   * SDK's `InvalidTokenError` (401), `InsufficientScopeError` (403, `requiredScopes`,
   * `requiredRoles`, `authorize`) or `ServerError` (the IAM's keys or the replay store
   * unreachable: the SDK's `requireBearerAuth` answers it with 500, {@link requireDualAuth}
   * with 503), with the DualAuthError as `cause`.
   */
  verifyAccessToken(token: string): Promise<AuthInfo>;
  /** The same verifier, reading this request's `X-Act-Assertion` and passing the request to `authorize`. */
  forRequest(request: RequestWithHeaders): OAuthTokenVerifier;
  /** True when the verifier needs the `X-Act-Assertion` header (Entra ID, the 'assertion' layout): use {@link requireDualAuth}, or `forRequest`. */
  readonly readsActAssertion: boolean;
}

/**
 * An `OAuthTokenVerifier` for the MCP SDK on dual-auth's verifier. Keep one per server: it
 * holds the JWKS cache.
 *
 * @example
 * ```ts
 * const verifier = createMcpTokenVerifier({ vendor: 'keycloak', issuer, audience });
 * app.post('/mcp', requireBearerAuth({ verifier, requiredScopes: ['finance.read'] }), handleMcp);
 * ```
 * @throws ConfigurationError for invalid options (those of createDualSubjectVerifier).
 */
export function createMcpTokenVerifier(options: McpVerifierOptions): McpTokenVerifier {
  const verify = createDualSubjectVerifier(options);
  const personDetails = options.includePersonDetails === true;
  const audiences = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  // Entra ID app-only tokens carry the permissions granted to the application as app roles,
  // with no `scp`: those are what requiredScopes can check.
  const rolesAreScopes = options.vendor === 'entraid';

  const toAuthInfo = (token: string, identity: DualSubjectIdentity): AuthInfo => {
    const { agent, human, layout, claims } = identity;
    const scopes = rolesAreScopes && agent.scopes.length === 0 ? agent.roles : agent.scopes;
    const extra: DualAuthExtra = { agent, human: personDetails ? human : withoutDetails(human), layout };
    const info: AuthInfo = { token, clientId: agent.clientId, scopes: [...scopes], expiresAt: claims.exp as number, extra: extra as unknown as Record<string, unknown> };
    const resource = resourceOf(claims, audiences);
    if (resource) info.resource = resource;
    return info;
  };

  const verifyWith = async (token: string, request: RequestWithHeaders | undefined): Promise<AuthInfo> => {
    try {
      const actAssertion = request && verify.readsActAssertion ? readHeader(request, 'x-act-assertion') : undefined;
      return toAuthInfo(token, await verify(token, { actAssertion, request }));
    } catch (error) {
      throw toSdkError(error);
    }
  };

  return {
    verifyAccessToken: (token) => verifyWith(token, undefined),
    forRequest: (request) => ({ verifyAccessToken: (token) => verifyWith(token, request) }),
    readsActAssertion: verify.readsActAssertion,
  };
}

export interface RequireDualAuthOptions extends Omit<BearerAuthMiddlewareOptions, 'verifier'> {
  verifier: McpTokenVerifier;
}

/**
 * The SDK's `requireBearerAuth` (same options, same answers), with the verifier bound to each
 * request so that it reads the `X-Act-Assertion` header. Needed for Entra ID and the
 * 'assertion' layout. One difference from `requireBearerAuth({ verifier })`: when the IAM's
 * keys or the replay store cannot be reached (ERR_JWKS_UNAVAILABLE,
 * ERR_REPLAY_STORE_UNAVAILABLE, a timeout), the answer is 503 with `Retry-After: 5` and
 * `{"error":"temporarily_unavailable"}`, where the SDK's middleware can only answer 500.
 */
export function requireDualAuth(options: RequireDualAuthOptions): RequestHandler {
  const { verifier, ...rest } = options;
  if (!verifier || typeof verifier.forRequest !== 'function') {
    throw new DualAuthError('requireDualAuth needs the verifier of createMcpTokenVerifier', 'ERR_INVALID_ARGUMENT');
  }
  return async (req, res, next) => {
    const bound = verifier.forRequest(req);
    const token = sdkBearerToken(req.headers.authorization);
    // No token to verify: the SDK answers (401) without asking the verifier.
    if (token === undefined) return requireBearerAuth({ ...rest, verifier: bound })(req, res, next);
    // The token is verified first, so that an unavailable store is answered here; the SDK then
    // makes its own checks (expectedResource, requiredScopes, expiry) and answers on the outcome.
    const outcome = await bound.verifyAccessToken(token).then(
      (info) => ({ info }),
      (error: unknown) => ({ error }),
    );
    if ('error' in outcome) {
      const cause = (outcome.error as { cause?: unknown } | null)?.cause;
      if (httpStatusFor(cause) === 503) {
        const answer = bearerErrorResponse(cause);
        res.status(answer.status).set(answer.headers).json(answer.body);
        return;
      }
    }
    const settled: OAuthTokenVerifier = {
      verifyAccessToken: async () => {
        if ('error' in outcome) throw outcome.error;
        return outcome.info;
      },
    };
    return requireBearerAuth({ ...rest, verifier: settled })(req, res, next);
  };
}

/** The token as the SDK's requireBearerAuth reads `Authorization` (its exact split), or undefined where it refuses the header. */
function sdkBearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [type, token] = header.split(' ');
  return type?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/**
 * The agent and the person of a tool call, from `extra.authInfo` (what the SDK hands a tool
 * handler after {@link createMcpTokenVerifier}'s verification).
 * @throws DualAuthError `ERR_TOKEN_MISSING` when the call carried no dual-subject AuthInfo
 * (a route without the bearer middleware).
 */
export function dualAuthIdentity(authInfo: AuthInfo | undefined): DualAuthExtra {
  const extra = authInfo?.extra as Partial<DualAuthExtra> | undefined;
  if (!extra || typeof extra.agent?.id !== 'string' || typeof extra.human?.id !== 'string' || typeof extra.layout !== 'string') {
    throw new DualAuthError('The MCP request carries no verified dual-subject token', 'ERR_TOKEN_MISSING');
  }
  return extra as DualAuthExtra;
}

/** The DualAuthError as the SDK's OAuth error of the same HTTP meaning; the message is the error's fixed text (no token data). */
function toSdkError(error: unknown): Error {
  const status = httpStatusFor(error);
  const message = error instanceof DualAuthError ? error.message : 'Token verification failed';
  const mapped = status === 401 ? new InvalidTokenError(message) : status === 403 ? new InsufficientScopeError(message) : new ServerError(message);
  Object.defineProperty(mapped, 'cause', { value: error, enumerable: false, configurable: true, writable: true });
  return mapped;
}

function withoutDetails(human: HumanIdentity): HumanIdentity {
  return human.oid === undefined ? { id: human.id } : { id: human.id, oid: human.oid };
}

/** The configured audience the token was accepted for, as a URL (RFC 8707 resource), when it is one. */
function resourceOf(claims: JWTPayload, audiences: readonly string[]): URL | undefined {
  const aud = claims.aud;
  const named = audiences.find((a) => (Array.isArray(aud) ? aud.includes(a) : aud === a));
  if (named === undefined || !URL.canParse(named)) return undefined;
  return new URL(named);
}

function readHeader(request: RequestWithHeaders, name: string): string | undefined {
  const headers = request.headers;
  if (typeof (headers as Headers).get === 'function') return headerValue((headers as Headers).get(name) ?? undefined);
  return headerValue((headers as Record<string, string | string[] | undefined>)[name]);
}
