/**
 * Delegation 'token-exchange' against the real Keycloak 26.7 (standard token exchange,
 * version 2): the person signs in to the web app's login client with their password, the
 * agent exchanges that token, and Keycloak (with the dual-auth act mapper) issues a token
 * whose `sub` is the person, `azp` the agent and `act.sub` the agent. Keycloak refuses a
 * tampered, an expired and another client's token, and an agent without the permission;
 * the library turns each refusal into a TokenRequestError and gives no token.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createAdapter,
  createDualSubjectVerifier,
  getConfig,
  HybridSender,
  InSessionTokenRequest,
  TokenRequestError,
  UserSession,
  type BaseAdapter,
} from '../../src/index.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';
import { assertionForm, ca, clientAssertion, clientSecret, env, loginTestUser, postForm, postToken, realmRoles, verifyAccessToken } from './helpers.js';

const AGENT = env.AGENT_CLIENT_ID;
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The agent's adapter, configured the way a user does it: getConfig over the .keycloak.env values. */
async function exchangingAdapter(clientId = AGENT, logger = auditLogger()): Promise<BaseAdapter> {
  const config = await getConfig({ vendor: 'keycloak', env: { ...env, AGENT_CLIENT_ID: clientId, AGENT_CLIENT_SECRET: clientSecret(clientId) } });
  return createAdapter(config, { ca, logger, retries: 0, delegation: 'token-exchange' });
}

describe('the person signs in to the web app', () => {
  it("gets their own token: addressed to the agents, issued to the web app, no act; the API audience is not in it", async () => {
    const { claims } = await loginTestUser();
    expect(claims).toMatchObject({ sub: env.TEST_USER_ID, azp: env.USER_LOGIN_CLIENT_ID, typ: 'Bearer' });
    expect(claims?.aud).toEqual(expect.arrayContaining([AGENT]));
    expect(claims?.aud).not.toContain(env.KEYCLOAK_API_AUDIENCE);
    expect(claims).not.toHaveProperty('act');
  });
});

describe('standard token exchange by the agent', () => {
  it('a real user token is exchanged: sub = the user, azp = the agent, act.sub = the agent, signed by the realm', async () => {
    const login = await loginTestUser();
    const logger = auditLogger();
    const adapter = await exchangingAdapter(AGENT, logger);
    const token = await adapter.requestToken({ agentId: AGENT, scope: ['finance.read'], subjectToken: login.accessToken });
    markSensitive(token.accessToken);

    const claims = await verifyAccessToken(token.accessToken); // RS256 with the realm JWKS, issuer, API audience, expiry
    expect(claims.sub).toBe(env.TEST_USER_ID);
    expect(claims.azp).toBe(AGENT);
    expect(claims.act).toEqual({ sub: AGENT });
    expect(String(claims.scope).split(' ')).toEqual(['finance.read']);
    expect(realmRoles(claims)).toContain('FinanceUser'); // the person's roles, not the agent's service account's
    expect(realmRoles(claims)).not.toContain('FinanceAgent');
    expect(token.tokenType).toBe('Bearer');
    expect(token.scope).toBe('finance.read');
    expect(logger.lines.join('\n')).not.toContain(login.accessToken.slice(-40));
  });

  it('in session: the web app hands the person\'s token to the agent through UserSession', async () => {
    const login = await loginTestUser();
    const session = new UserSession({ userEmail: env.TEST_USER_EMAIL, userId: env.TEST_USER_ID, subjectToken: login.accessToken });
    const act = new HybridSender().extractActFromSession(session); // the app's own view of the person: only logged
    const token = await new InSessionTokenRequest(await exchangingAdapter(), { logger: auditLogger() }).requestToken({
      agentId: AGENT,
      act,
      scope: ['finance.read', 'finance.write'],
      subjectToken: session.subjectToken,
    });
    const claims = await verifyAccessToken(token.accessToken);
    expect(claims).toMatchObject({ sub: env.TEST_USER_ID, azp: AGENT, act: { sub: AGENT } });
    expect(String(claims.scope).split(' ').sort()).toEqual(['finance.read', 'finance.write']);
  });

  it("the agent cannot name another person or actor: an act in its client assertion is ignored on exchange", async () => {
    const login = await loginTestUser();
    const assertion = await clientAssertion(AGENT, env.AGENT_CLIENT_SECRET, { act: { sub: 'someone-the-agent-made-up' } });
    const answer = await postForm({
      grant_type: TOKEN_EXCHANGE,
      subject_token: login.accessToken,
      subject_token_type: ACCESS_TOKEN_TYPE,
      scope: 'finance.read',
      ...assertionForm(assertion, 'finance.read'),
    });
    expect(answer.status).toBe(200);
    const claims = await verifyAccessToken(answer.body.access_token as string);
    expect(claims.sub).toBe(env.TEST_USER_ID);
    expect(claims.act).toEqual({ sub: AGENT });
  });

  it('an agent exchanging its own client-credentials token gets no act: there is no person to act for', async () => {
    const own = await postToken(assertionForm(await clientAssertion(AGENT, env.AGENT_CLIENT_SECRET, {})));
    expect(own.status).toBe(200);
    const token = await (await exchangingAdapter()).requestToken({ agentId: AGENT, scope: ['finance.read'], subjectToken: own.body.access_token as string });
    const claims = await verifyAccessToken(token.accessToken);
    expect(claims.sub).not.toBe(env.TEST_USER_ID);
    expect(claims).not.toHaveProperty('act');
  });
});

describe("the API side reads Keycloak's real tokens", () => {
  const verifier = (layout: 'delegated' | 'act') =>
    createDualSubjectVerifier({
      vendor: 'keycloak',
      issuer: env.KEYCLOAK_ISSUER,
      audience: env.KEYCLOAK_API_AUDIENCE,
      jwksUri: env.KEYCLOAK_JWKS_URL,
      ca,
      layout,
      agents: [AGENT],
    });

  it('the exchanged token in the delegated layout: the agent, the person, who vouched', async () => {
    const token = await (await exchangingAdapter()).requestToken({ agentId: AGENT, scope: ['finance.read'], subjectToken: (await loginTestUser()).accessToken });
    markSensitive(token.accessToken);
    const { agent, human, layout } = await verifier('delegated')(token.accessToken);
    expect(layout).toBe('delegated');
    expect(agent.id).toBe(AGENT);
    expect(agent.scopes).toEqual(['finance.read']);
    expect(human.id).toBe(env.TEST_USER_ID);
    // The reference layout never reads it backwards (the agent as its own person).
    expect((await rejection(verifier('act')(token.accessToken))).code).toBe('ERR_TOKEN_LAYOUT');
  });

  it("the agent's own client-credentials token is never taken as delegated, even from an allowed agent", async () => {
    // The realm gives the agent the service_account client scope: Keycloak marks its own tokens with client_id.
    const own = await postToken(assertionForm(await clientAssertion(AGENT, env.AGENT_CLIENT_SECRET, {})));
    expect(own.claims?.client_id).toBe(AGENT);
    expect((await rejection(verifier('delegated')(own.body.access_token as string))).code).toBe('ERR_TOKEN_AGENT_ONLY');
  });
});

describe('Keycloak refuses, the library throws TokenRequestError and gives no token', () => {
  async function refused(subjectToken: string, clientId = AGENT): Promise<TokenRequestError> {
    const logger = auditLogger();
    const error = await rejection((await exchangingAdapter(clientId, logger)).requestToken({ agentId: clientId, scope: ['finance.read'], subjectToken }));
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(logger.lines.join('\n')).not.toContain(subjectToken.slice(-40));
    return error as TokenRequestError;
  }

  it('a tampered subject token (one signature byte changed)', async () => {
    const { accessToken } = await loginTestUser();
    const flipped = `${accessToken.slice(0, -6)}${accessToken.slice(-6, -5) === 'A' ? 'B' : 'A'}${accessToken.slice(-5)}`;
    markSensitive(flipped);
    const error = await refused(flipped);
    expect(error.statusCode).toBe(400);
    expect(error.iamError).toBe('invalid_request');
    expect(error.iamErrorDescription).toBe('Invalid token');
    expect(error.message).toBe('Keycloak refused the token exchange (HTTP 400): invalid_request');
  });

  it('a subject token whose claims were changed (the person swapped, the signature kept)', async () => {
    const { accessToken } = await loginTestUser();
    const [header, payload, signature] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = [header, Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString('base64url'), signature].join('.');
    markSensitive(forged);
    const error = await refused(forged);
    expect(error.iamErrorDescription).toBe('Invalid token');
  });

  it('an expired subject token: a real token of the 2-second login client, used after it expired', async () => {
    const { accessToken, claims } = await loginTestUser('finance-web-app-short-lived');
    const { exp, iat } = claims as { exp: number; iat: number };
    expect(exp - iat).toBe(2);
    // Wait until Keycloak's clock is past exp (exp has a one-second resolution).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (exp + 1) * 1000 - Date.now()) + 500));
    const error = await refused(accessToken);
    expect(error.statusCode).toBe(400);
    expect(error.iamError).toBe('invalid_request');
    expect(error.iamErrorDescription).toBe('Invalid token');
  });

  it("another client's token, not addressed to the agent", async () => {
    const { accessToken, claims } = await loginTestUser('other-web-app');
    expect(claims?.aud ?? []).not.toContain(AGENT);
    const error = await refused(accessToken);
    expect(error.statusCode).toBe(403);
    expect(error.iamError).toBe('access_denied');
    expect(error.iamErrorDescription).toBe('Client is not within the token audience');
  });

  it('an agent client without the token exchange permission, with a token addressed to it', async () => {
    const { accessToken, claims } = await loginTestUser();
    expect(claims?.aud).toEqual(expect.arrayContaining(['finance-agent-no-exchange']));
    const error = await refused(accessToken, 'finance-agent-no-exchange');
    expect(error.statusCode).toBe(400);
    expect(error.iamError).toBe('invalid_request');
    expect(error.iamErrorDescription).toBe('Standard token exchange is not enabled for the requested client');
  });

  it('an ID token type: standard token exchange takes access tokens only', async () => {
    const { accessToken } = await loginTestUser();
    const adapter = await exchangingAdapter();
    const error = (await rejection(
      adapter.requestToken({ agentId: AGENT, scope: [], subjectToken: accessToken, subjectTokenType: 'urn:ietf:params:oauth:token-type:id_token' }),
    )) as TokenRequestError;
    expect(error.iamError).toBe('invalid_request');
    expect(error.iamErrorDescription).toBe("Parameter 'subject_token' supports access tokens only");
  });
});
