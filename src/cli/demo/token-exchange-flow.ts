/**
 * The token-exchange flow (delegation 'token-exchange'): the person signs in to the
 * web app, the agent inside it exchanges the person's own token at the IAM (the
 * vendor's token exchange / On-Behalf-Of request), and the API reads the delegated
 * layout: the person is the token's subject, the agent its client. The IAM, not the
 * agent, vouches for the person; the checks show what the agent cannot do.
 */
import { decodeJwt } from 'jose';

import { createAdapter, InSessionAPICall, InSessionTokenRequest, TokenRequestError, UserSession } from '../../index.js';
import { DualAuthError } from '../../errors.js';
import type { LocalIamVendor } from '../../local-iam/index.js';
import { DEMO_SCOPE, type DemoContext } from './context.js';

export async function runTokenExchangeFlow(ctx: DemoContext): Promise<void> {
  const { iam, api, config, ca, vendor } = ctx;

  ctx.section('in-session', "IN-SESSION FLOW: the agent exchanges the signed-in person's own token");
  const loginToken = await iam.issueLoginToken();
  ctx.protect(loginToken);
  const login = decodeJwt(loginToken);
  ctx.step('User signed in to the web app', `their own token: issued to ${iam.webApp.clientId}, addressed to ${String(login.aud)}, no act`);
  const session = new UserSession({ userEmail: iam.testUser.email, userId: iam.testUser.id, subjectToken: loginToken });
  const adapter = createAdapter(config, { ca, timeoutMs: 10_000, delegation: 'token-exchange' });
  ctx.step('IAM adapter created', `${adapter.constructor.name}, delegation 'token-exchange' (${EXCHANGE_REQUEST[vendor]})`);
  const token = await new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, scope: DEMO_SCOPE, subjectToken: session.subjectToken });
  ctx.protect(token.accessToken);
  ctx.step('The IAM exchanged the token', describeDelegatedToken(vendor, token));
  const response = await new InSessionAPICall({ timeoutMs: 10_000, ca }).callApi({ method: 'GET', apiUrl: api.reportUrl, tokenResponse: token, params: { quarter: 'Q4' } });
  const body = (await response.json().catch(() => undefined)) as { agent?: string; human?: string; layout?: string } | undefined;
  if (response.status !== 200) throw new DualAuthError(`The API refused the exchanged token (HTTP ${response.status})`, 'ERR_DEMO');
  ctx.step('API accepted the call', `HTTP 200: agent ${body?.agent} acting for ${body?.human} (layout ${body?.layout ?? 'delegated'})`);

  ctx.section('check', 'CHECK: what the agent cannot do');
  // The person's own login token is not a token of this agent acting for them.
  const own = await ctx.http.request(api.reportUrl, { method: 'GET', headers: { authorization: `Bearer ${loginToken}` }, retry: false });
  if (own.status === 200) throw new DualAuthError("The API accepted the person's own login token as an agent's token", 'ERR_DEMO');
  ctx.step("API refused the person's own login token", `HTTP ${own.status}: it was issued to the web app, not to an agent`);
  // A token not addressed to the agent cannot be exchanged: the agent cannot pick a person.
  const foreign = await iam.issueLoginToken({ audience: 'https://another-app.local.test' });
  ctx.protect(foreign);
  try {
    await adapter.requestToken({ agentId: config.clientId, scope: DEMO_SCOPE, subjectToken: foreign });
    throw new DualAuthError('The IAM exchanged a token that was not addressed to the agent', 'ERR_DEMO');
  } catch (error) {
    if (!(error instanceof TokenRequestError)) throw error;
    ctx.step("IAM refused to exchange another app's token", `HTTP ${error.statusCode}: ${error.iamError}`);
  }
}

/** The vendor's request, as its documentation names it. */
const EXCHANGE_REQUEST: Record<LocalIamVendor, string> = {
  keycloak: 'standard token exchange',
  auth0: 'On-Behalf-Of token exchange',
  okta: 'On-Behalf-Of token exchange',
  entraid: 'On-Behalf-Of flow',
};

/** Who the exchanged token names, read from its decoded claims (never the token itself). */
function describeDelegatedToken(vendor: LocalIamVendor, token: { accessToken: string; tokenType: string; expiresIn: number }): string {
  const claims = decodeJwt(token.accessToken) as Record<string, unknown>;
  const agentId = vendor === 'okta' ? claims.cid : claims.azp;
  const person = vendor === 'entraid' ? `oid ${String(claims.oid)}` : `sub ${String(claims.sub)}`;
  const act = claims.act as { sub?: string } | undefined;
  return `${token.tokenType}, expires in ${token.expiresIn} s; person (${person}), agent ${String(agentId)}${act ? `, act.sub ${String(act.sub)}` : ''}`;
}
