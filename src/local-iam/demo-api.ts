/**
 * The demo API: an Express app over HTTPS that accepts a request only with a
 * valid dual-subject access token (and, for Entra ID, a valid X-Act-Assertion),
 * in the reference layout or, for delegation 'token-exchange', the delegated one.
 * All token checks are the library's `verifyDualSubjectToken`; this file only
 * maps its outcome to HTTP and logs the agent id and the human id, nothing else.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import { DualAuthError } from '../errors.js';
import { toLogger, type LoggerLike } from '../logging.js';
import { humanIdForLogging } from '../domain/act.js';
import type { Delegation } from '../domain/delegation.js';
import { bearerErrorResponse, createDualSubjectVerifier, type DualSubjectIdentity } from '../verify/index.js';
import { headerValue, bearerToken } from '../verify/bearer.js';
import type { DevCertificates } from './certificates.js';
import type { LocalIam } from './types.js';
import { AGENT_ROLE, type LocalIamVendor } from './profiles.js';
import { loadOptional } from './optional.js';

export interface DemoApiOptions {
  vendor: LocalIamVendor;
  issuer: string;
  audience: string;
  jwksUri: string;
  /** TLS material of the API server; its CA must also be the IAM's CA (the JWKS is fetched over HTTPS). */
  certificates: DevCertificates;
  /** CA trusted for the JWKS fetch; default `certificates.caCert` (the IAM and the API share one CA). */
  ca?: string;
  /** The application's public key (PEM) that signs X-Act-Assertion: Entra ID's reference assertion, and delegation 'assertion'. */
  actAssertionKey?: string;
  /** Leeway for exp/nbf in seconds (the verifier's default is 30). */
  clockToleranceSeconds?: number;
  /**
   * The tokens the API accepts: 'act' (the reference layout, default), 'token-exchange' (the
   * delegated layout: the person is `sub`, the agent the client claim, from `agents` only) or
   * 'assertion' (the agent's own token plus the application's X-Act-Assertion naming the agent).
   */
  delegation?: Delegation;
  /** The agent client ids the API accepts. Required with delegation 'token-exchange'. */
  agents?: string[];
  host?: string;
  port?: number;
  logger?: LoggerLike;
}

/** The demo API options that trust a running local IAM (same CA, its issuer, audience, JWKS and app key). */
export function demoApiOptionsFor(
  iam: Pick<LocalIam, 'vendor' | 'issuer' | 'apiAudience' | 'jwksUri' | 'app' | 'agent'>,
  certificates: DevCertificates,
  delegation: Delegation = 'act',
): DemoApiOptions {
  return {
    vendor: iam.vendor,
    issuer: iam.issuer,
    audience: iam.apiAudience,
    jwksUri: iam.jwksUri,
    certificates,
    actAssertionKey: iam.app.publicKeyPem,
    delegation,
    agents: [iam.agent.clientId],
  };
}

export interface DemoApi {
  /** Base URL, e.g. https://127.0.0.1:4431 */
  url: string;
  /** GET: the quarterly report (query `quarter`). */
  reportUrl: string;
  /**
   * Requests received so far (of `method` only, when given), answered or not: what tells a
   * retried call from one sent once.
   */
  requestCount(method?: string): number;
  close(): Promise<void>;
}

/**
 * What the agent must hold, in each vendor's terms: a role, or the granted scope. A delegated
 * token carries the person's roles and the delegated scopes, so the delegated layout requires
 * the scope instead (every vendor names it `finance.read`).
 */
const REQUIRED_ROLE: Record<LocalIamVendor, string> = {
  keycloak: AGENT_ROLE,
  auth0: 'finance.read',
  okta: 'finance.read',
  entraid: AGENT_ROLE,
};
const DELEGATED_SCOPE = 'finance.read';

interface ReqLike {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  body?: unknown;
}
interface ResLike {
  status(code: number): ResLike;
  set(name: string, value: string): ResLike;
  json(body: unknown): void;
}

export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  const logger = toLogger(options.logger);
  const expressModule = await loadOptional<any>('express', 'The demo API');
  const express = expressModule.default ?? expressModule;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));

  // Built once: holds the JWKS cache for the life of the API.
  const delegation = options.delegation ?? 'act';
  const delegated = delegation === 'token-exchange';
  const verifier = createDualSubjectVerifier({
    vendor: options.vendor,
    issuer: options.issuer,
    audience: options.audience,
    jwksUri: options.jwksUri,
    ca: options.ca ?? options.certificates.caCert,
    ...(delegated
      ? { layout: 'delegated' as const, agents: options.agents, requiredScopes: [DELEGATED_SCOPE] }
      : { requiredRoles: [REQUIRED_ROLE[options.vendor]] }),
    ...(options.clockToleranceSeconds !== undefined ? { clockToleranceSeconds: options.clockToleranceSeconds } : {}),
    ...(delegation === 'assertion'
      ? { layout: 'assertion' as const, agents: options.agents, actAssertionKey: options.actAssertionKey, actAssertionIssuer: 'application' }
      : options.vendor === 'entraid' && !delegated
        ? { actAssertionKey: options.actAssertionKey, actAssertionAudience: options.audience }
        : {}),
    logger: options.logger,
  });

  const guarded = (handler: (req: ReqLike, identity: DualSubjectIdentity) => unknown) =>
    async (req: ReqLike, res: ResLike) => {
      try {
        const identity = await verifier(bearerToken(req.headers.authorization), {
          actAssertion: headerValue(req.headers['x-act-assertion']),
        });
        // Identifiers only: never the token, the email or the name.
        logger.info({ event: 'demo_api_request_accepted', agent_id: identity.agent.id, human_id: humanIdForLogging(identity.human.id) });
        res.status(200).json(handler(req, identity));
      } catch (error) {
        const answer = bearerErrorResponse(error, { realm: 'dual-auth-demo' });
        logger.warn({ event: 'demo_api_request_refused', status: answer.status, code: error instanceof DualAuthError ? error.code : 'ERR_INTERNAL' });
        for (const [name, value] of Object.entries(answer.headers)) res.set(name, value);
        res.status(answer.status).json({ ...answer.body, code: error instanceof DualAuthError ? error.code : 'ERR_INTERNAL' });
      }
    };

  app.get('/finance/report', guarded((req, { agent, human, layout }) => ({
    report: { quarter: typeof req.query.quarter === 'string' ? req.query.quarter : 'Q4', revenue: 1_250_000, currency: 'EUR' },
    agent: agent.id,
    human: personId(human),
    layout,
  })));
  app.post('/finance/transactions', guarded((req, { agent, human }) => ({
    accepted: true,
    amount: typeof (req.body as { amount?: unknown } | undefined)?.amount === 'number' ? (req.body as { amount: number }).amount : null,
    agent: agent.id,
    human: personId(human),
  })));
  app.use((_req: unknown, res: ResLike) => res.status(404).json({ error: 'not_found' }));
  // Malformed bodies and the like: a short JSON answer, never Express's HTML page with a stack trace.
  app.use((error: { status?: unknown }, _req: unknown, res: ResLike, _next: unknown) => {
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    res.status(status).json({ error: status === 500 ? 'server_error' : 'invalid_request' });
  });

  const received = new Map<string, number>();
  const server: Server = createServer({ cert: options.certificates.cert, key: options.certificates.key, requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    const method = req.method ?? '';
    received.set(method, (received.get(method) ?? 0) + 1);
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://${options.host ?? '127.0.0.1'}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    reportUrl: `${url}/finance/report`,
    requestCount(method) {
      if (method !== undefined) return received.get(method.toUpperCase()) ?? 0;
      let total = 0;
      for (const count of received.values()) total += count;
      return total;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * The person's id to answer with: Entra ID's `oid` when the act or token names one (an act from a
 * session may carry the web app's pairwise `sub` beside it), else the verifier's `human.id`.
 */
function personId(human: DualSubjectIdentity['human']): string {
  return human.oid ?? human.id;
}

function header(req: ReqLike, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
