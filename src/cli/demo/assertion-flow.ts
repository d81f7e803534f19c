/**
 * The application-signed assertion flow (delegation 'assertion'): the person signs
 * in to the application, which hands the work to a remote agent with an act
 * assertion it signs for the API (naming the person and the agent). The agent
 * gets only its own token and forwards the assertion unchanged; the API reads the
 * 'assertion' layout. The application, not the agent, vouches for the person;
 * the checks show what the agent cannot do with its own token and key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';

import { createAdapter, HybridSender, UserSession } from '../../index.js';
import { DualAuthError } from '../../errors.js';
import { DEMO_SCOPE, type DemoContext } from './context.js';
import { expectReplayRefused, handToAgent, startRemoteAgent } from './remote-agent.js';

export async function runAssertionFlow(ctx: DemoContext): Promise<void> {
  const { iam, api, config, ca } = ctx;

  ctx.section('out-of-session', 'OUT-OF-SESSION FLOW: the application vouches for the person, the agent only forwards');
  const session = new UserSession({ userEmail: iam.testUser.email, userName: iam.testUser.name, userId: iam.testUser.id });
  ctx.step('User signed in to the application', `user id ${iam.testUser.id}`);
  const agent = await startRemoteAgent({
    env: iam.env,
    appPublicKeyPath: iam.app.publicKeyPath,
    certificates: ctx.certificates,
    apiUrl: api.reportUrl,
    scope: DEMO_SCOPE,
    delegation: 'assertion',
  });
  ctx.onClose(() => agent.close());
  ctx.step('Remote agent started', `endpoint ${agent.endpoint}; it holds its client credentials and the application's public key, no key that signs a person`);

  const sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
  const act = sender.extractActFromSession(session);
  const assertion = await sender.prepareActAssertion({ act, agentId: config.clientId, apiAudience: iam.apiAudience, agentEndpoint: agent.endpoint, ttlSeconds: 60 });
  ctx.protect(assertion);
  ctx.step(
    'Application signed the act assertion',
    `${sender.algorithm} with the application key (kid ${String(decodeProtectedHeader(assertion).kid).slice(0, 12)}…); aud = [agent endpoint, API]; azp = ${config.clientId}; expires in 60 s`,
  );

  const apiBody = await handToAgent(ctx, agent.endpoint, assertion);
  if (apiBody?.layout !== 'assertion') throw new DualAuthError(`The API read the call in layout ${String(apiBody?.layout)}`, 'ERR_DEMO');
  ctx.step("API accepted the agent's call", `agent ${apiBody.agent} acting for ${apiBody.human} (layout assertion: the person from the application's assertion)`);

  ctx.section('check', 'CHECK: what the agent cannot do');
  // The agent's own token: what a compromised agent holds.
  const adapter = createAdapter(config, { ca, timeoutMs: 10_000, delegation: 'assertion' });
  const own = await adapter.requestToken({ agentId: config.clientId, scope: DEMO_SCOPE, actAssertion: assertion });
  ctx.protect(own.accessToken);
  if (decodeJwt(own.accessToken).act !== undefined) throw new DualAuthError("The agent's own token carries an act", 'ERR_DEMO');
  const call = async (actAssertion: string | undefined): Promise<{ status: number; code: string }> => {
    const headers: Record<string, string> = { authorization: `Bearer ${own.accessToken}` };
    if (actAssertion !== undefined) headers['x-act-assertion'] = actAssertion;
    const answer = await ctx.http.request(api.reportUrl, { method: 'GET', headers, retry: false });
    const body = JSON.parse(answer.body.toString('utf8')) as { code?: string };
    return { status: answer.status, code: String(body.code) };
  };
  const refused = async (what: string, actAssertion: string | undefined, code: string): Promise<void> => {
    const answer = await call(actAssertion);
    if (answer.status !== 401 || answer.code !== code) {
      throw new DualAuthError(`The API did not refuse ${what} as expected (HTTP ${answer.status}, ${answer.code})`, 'ERR_DEMO');
    }
    ctx.step(`API refused ${what}`, `HTTP 401 ${answer.code}`);
  };

  await refused("the agent's own token without an assertion", undefined, 'ERR_ACT_ASSERTION_MISSING');
  // The agent has no application key: anything it signs itself names no one the API believes.
  const agentKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const invented = await new HybridSender({ privateKey: agentKey }).prepareActAssertion({ act: { sub: 'someone-else' }, agentId: config.clientId, apiAudience: iam.apiAudience });
  ctx.protect(invented);
  await refused('an assertion the agent signed itself (a person it invented)', invented, 'ERR_ACT_ASSERTION_INVALID');
  const forAnother = await sender.prepareActAssertion({ act, agentId: 'another-agent', apiAudience: iam.apiAudience });
  ctx.protect(forAnother);
  await refused("the application's assertion for another agent", forAnother, 'ERR_ACT_ASSERTION_AGENT_MISMATCH');

  // The agent's own replay record: the same assertion delivered again is refused.
  await expectReplayRefused(ctx, agent.endpoint, assertion, 'Replayed delivery refused by the agent');
}
