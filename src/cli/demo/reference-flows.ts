/**
 * The reference flows (delegation 'act'): the agent names the person in its token
 * request. In session, the agent runs inside the web app; out of session, the
 * application hands the person to a remote agent as a signed act JWT.
 */
import { decodeJwt } from 'jose';

import { createAdapter, HybridSender, InSessionAPICall, InSessionTokenRequest, UserSession } from '../../index.js';
import { DualAuthError } from '../../errors.js';
import type { LocalIamVendor } from '../../local-iam/index.js';
import { DEMO_SCOPE, type DemoContext } from './context.js';
import { expectReplayRefused, handToAgent, startRemoteAgent } from './remote-agent.js';

export async function runReferenceFlows(ctx: DemoContext): Promise<void> {
  const { iam, api, config, ca, vendor } = ctx;

  ctx.section('in-session', 'IN-SESSION FLOW: the user is signed in, the agent acts now');
  const session = new UserSession({ userEmail: iam.testUser.email, userName: iam.testUser.name, userId: iam.testUser.id });
  ctx.step('User signed in', `user id ${iam.testUser.id}`);
  const sender = new HybridSender();
  const act = sender.prepareInSessionAct(sender.extractActFromSession(session));
  ctx.step('Human identity extracted (act)', `fields: ${Object.keys(act).join(', ')}`);
  const adapter = createAdapter(config, { ca, timeoutMs: 10_000 });
  ctx.step('IAM adapter created', `${adapter.constructor.name} for ${config.tokenUrl}`);
  const token = await new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, act, scope: DEMO_SCOPE });
  ctx.step('Dual-subject token issued', describeToken(vendor, token));
  const response = await new InSessionAPICall({ timeoutMs: 10_000, ca }).callApi({
    method: 'GET',
    apiUrl: api.reportUrl,
    tokenResponse: token,
    params: { quarter: 'Q4' },
  });
  const body = (await response.json().catch(() => undefined)) as { agent?: string; human?: string } | undefined;
  if (response.status !== 200) throw new DualAuthError(`The API refused the in-session call (HTTP ${response.status})`, 'ERR_DEMO');
  ctx.step('API accepted the call', `HTTP 200: agent ${body?.agent} acting for ${body?.human}`);

  ctx.section('out-of-session', 'OUT-OF-SESSION FLOW: the application hands the work to a remote agent');
  const agent = await startRemoteAgent({
    env: iam.env,
    appPublicKeyPath: iam.app.publicKeyPath,
    certificates: ctx.certificates,
    apiUrl: api.reportUrl,
    scope: DEMO_SCOPE,
  });
  ctx.onClose(() => agent.close());
  const agentEndpoint = agent.endpoint;
  ctx.step('Remote agent started', `endpoint ${agentEndpoint}`);
  const appSender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
  const actJwt = await appSender.prepareOutOfSessionAct({
    act: appSender.extractActFromSession(session),
    agentEndpoint: agent.endpoint,
    ttlSeconds: 60,
  });
  ctx.step('Application signed the act JWT', 'RS256 with the application key, audience = agent endpoint, expires in 60 s');
  const apiBody = await handToAgent(ctx, agentEndpoint, actJwt);
  ctx.step("API accepted the agent's call", `agent ${apiBody?.agent} acting for ${apiBody?.human}`);
  await expectReplayRefused(ctx, agentEndpoint, actJwt, 'Replayed act JWT refused');
}

/** Agent, human and lifetime of a token, read from its decoded claims (never the token itself). */
function describeToken(vendor: LocalIamVendor, token: { accessToken: string; tokenType: string; expiresIn: number; actAssertion?: string | undefined }): string {
  const claims = decodeJwt(token.accessToken) as Record<string, unknown>;
  const agentId = claims.azp ?? claims.cid ?? claims.appid ?? claims.sub;
  const base = `${token.tokenType}, expires in ${token.expiresIn} s; agent ${String(agentId)}`;
  if (vendor === 'entraid') {
    const assertion = token.actAssertion ? (decodeJwt(token.actAssertion) as { act?: { sub?: string } }) : undefined;
    return `${base}; human ${String(assertion?.act?.sub)} in the act assertion (X-Act-Assertion)`;
  }
  const act = claims.act as { sub?: string } | undefined;
  return `${base}; act.sub ${String(act?.sub)}`;
}
