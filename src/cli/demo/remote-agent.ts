/**
 * The demo's remote agent: its own HTTPS endpoint that an application calls
 * with a signed act JWT (out-of-session). It verifies the JWT with
 * OutOfSessionTokenRequest, obtains a dual-subject token for itself, calls the
 * API with OutOfSessionAPICall, and answers with what happened (identifiers
 * and statuses only, never a token).
 * With delegation 'assertion' the JWT is the application's act assertion for the
 * API: the agent checks it is addressed to it and names it, obtains an agent-only
 * token and forwards the assertion unchanged as X-Act-Assertion.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import {
  createAdapter,
  DualAuthError,
  getConfig,
  OutOfSessionAPICall,
  OutOfSessionTokenRequest,
} from '../../index.js';
import type { HttpClient } from '../../http/client.js';
import type { DevCertificates } from '../../local-iam/certificates.js';
import type { Delegation } from '../../domain/delegation.js';
import type { DemoContext } from './context.js';

export interface RemoteAgentOptions {
  /** The environment the agent reads its configuration from (getConfig). */
  env: Record<string, string | undefined>;
  /** The application's public key file (verifies act JWTs). */
  appPublicKeyPath: string;
  certificates: DevCertificates;
  /** The API the agent calls. */
  apiUrl: string;
  scope: string[];
  /** 'act' (default, the reference: the agent names the person) or 'assertion' (the application's assertion, forwarded). */
  delegation?: Extract<Delegation, 'act' | 'assertion'>;
}

export interface RemoteAgentStep {
  step: string;
  detail: string;
}

export interface RemoteAgentAnswer {
  ok: boolean;
  steps: RemoteAgentStep[];
  apiStatus?: number;
  apiBody?: unknown;
  error?: { code: string; message: string };
}

export interface RemoteAgent {
  /** The agent's endpoint: the act JWT's audience. */
  endpoint: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024;

export async function startRemoteAgent(options: RemoteAgentOptions): Promise<RemoteAgent> {
  const delegation = options.delegation ?? 'act';
  const config = await getConfig({ env: options.env, delegation });
  const adapter = createAdapter(config, { ca: options.certificates.caCert, timeoutMs: 10_000, delegation });
  // One handler for the agent's life: its replay cache remembers every act JWT it accepted.
  const outOfSession = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: options.appPublicKeyPath });
  const api = new OutOfSessionAPICall({ timeoutMs: 10_000, ca: options.certificates.caCert });
  let endpoint = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST' || req.url !== '/invoke') {
      send(res, 404, { ok: false, steps: [], error: { code: 'ERR_NOT_FOUND', message: 'POST /invoke only' } });
      return;
    }
    const steps: RemoteAgentStep[] = [];
    try {
      const body = JSON.parse(await readBody(req)) as { actJwt?: unknown };
      if (typeof body.actJwt !== 'string') throw new DualAuthError('actJwt is required', 'ERR_INVALID_ARGUMENT');
      const act = await outOfSession.receiveAndVerifyActJwt({ actJwt: body.actJwt, expectedAudience: endpoint, agentId: config.clientId });
      steps.push({
        step: delegation === 'assertion' ? 'Agent checked the act assertion' : 'Agent verified the act JWT',
        detail:
          delegation === 'assertion'
            ? `application's signature, addressed to this agent and the API, names this agent (azp); act.sub=${String(act.sub)}`
            : `RS256 signature, audience and expiry OK; act.sub=${String(act.sub)}`,
      });
      // 'assertion': an agent-only token; the assertion comes back unchanged and travels as X-Act-Assertion.
      const token =
        delegation === 'assertion'
          ? await outOfSession.requestToken({ agentId: config.clientId, scope: options.scope, actAssertion: body.actJwt })
          : await outOfSession.requestToken({ agentId: config.clientId, act, scope: options.scope });
      steps.push({
        step: delegation === 'assertion' ? 'Agent obtained its own token (client credentials, no person in it)' : 'Agent obtained a dual-subject token',
        detail: `${token.tokenType}, expires in ${token.expiresIn} s${token.actAssertion ? ', with act assertion (X-Act-Assertion)' : ''}`,
      });
      const response = await api.callApi({ method: 'GET', apiUrl: options.apiUrl, tokenResponse: token, params: { quarter: 'Q4' } });
      const apiBody = await response.json().catch(() => undefined);
      steps.push({ step: 'Agent called the API', detail: `HTTP ${response.status}` });
      send(res, 200, { ok: response.status === 200, steps, apiStatus: response.status, apiBody });
    } catch (error) {
      const code = error instanceof DualAuthError ? error.code : 'ERR_AGENT';
      const message = error instanceof DualAuthError ? error.message : 'Agent failed';
      send(res, error instanceof DualAuthError && error.code.startsWith('ERR_ACT') ? 401 : 500, { ok: false, steps, error: { code, message } });
    }
  };

  const server = createServer({ cert: options.certificates.cert, key: options.certificates.key, requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/invoke`;
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The application's side: posts a signed JWT to the agent (never retried: the agent acts on it) and reads its answer. */
export async function deliverToAgent(http: HttpClient, endpoint: string, actJwt: string): Promise<{ status: number; result: RemoteAgentAnswer }> {
  const answer = await http.request(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ actJwt }),
    retry: false,
  });
  return { status: answer.status, result: JSON.parse(answer.body.toString('utf8')) as RemoteAgentAnswer };
}

/** Hands the JWT to the agent and prints what the agent did; the API's answer body, or a DualAuthError when the agent failed. */
export async function handToAgent(ctx: DemoContext, endpoint: string, actJwt: string): Promise<{ agent?: string; human?: string; layout?: string } | undefined> {
  const { status, result } = await deliverToAgent(ctx.http, endpoint, actJwt);
  ctx.step('Application sent it to the agent over HTTPS', `agent answered HTTP ${status}`);
  for (const s of result.steps) ctx.step(s.step, s.detail);
  if (!result.ok) {
    throw new DualAuthError(`The remote agent failed: ${result.error?.message ?? `API answered HTTP ${result.apiStatus}`}`, result.error?.code ?? 'ERR_DEMO');
  }
  return result.apiBody as { agent?: string; human?: string; layout?: string } | undefined;
}

/** The same JWT delivered again must be refused by the agent's replay protection. */
export async function expectReplayRefused(ctx: DemoContext, endpoint: string, actJwt: string, title: string): Promise<void> {
  const { status, result } = await deliverToAgent(ctx.http, endpoint, actJwt);
  if (status === 200 || result.error?.code !== 'ERR_ACT_REPLAY') throw new DualAuthError('The remote agent accepted a replayed JWT', 'ERR_DEMO');
  ctx.step(title, `agent answered HTTP ${status}: ${result.error.message}`);
}

function send(res: ServerResponse, status: number, body: RemoteAgentAnswer): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new DualAuthError('Request body too large', 'ERR_INVALID_ARGUMENT');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
