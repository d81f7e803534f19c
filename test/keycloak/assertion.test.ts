/**
 * Delegation 'assertion' against the real Keycloak 26.7: the agent asks Keycloak for its
 * own agent-only token (client_secret_jwt, no act in its client assertion), the application
 * signs the person for the API and names the agent (azp), and the API verifies both: the
 * token with the realm JWKS, the assertion with the application's key. The agent holds no
 * key that can sign a person.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAdapter, createDualSubjectVerifier, getConfig, HybridSender, MemoryReplayCache, type BaseAdapter } from '../../src/index.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';
import { ca, clientSecret, env, verifyAccessToken } from './helpers.js';

const AGENT = env.AGENT_CLIENT_ID;
const SCOPE = ['finance.read'];
const person = { sub: env.TEST_USER_ID, email: env.TEST_USER_EMAIL };

const application = new HybridSender({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, algorithm: 'ES256' });
const intruder = new HybridSender({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, algorithm: 'ES256' });

async function agentAdapter(clientId = AGENT): Promise<BaseAdapter> {
  const config = await getConfig({ vendor: 'keycloak', env: { ...env, AGENT_CLIENT_ID: clientId, AGENT_CLIENT_SECRET: clientSecret(clientId) } });
  return createAdapter(config, { ca, logger: auditLogger(), retries: 0, delegation: 'assertion' });
}

async function verifier(options: { oneTimeUse?: boolean } = {}) {
  return createDualSubjectVerifier({
    vendor: 'keycloak',
    issuer: env.KEYCLOAK_ISSUER,
    audience: env.KEYCLOAK_API_AUDIENCE,
    jwksUri: env.KEYCLOAK_JWKS_URL,
    ca,
    layout: 'assertion',
    actAssertionKey: await application.publicJwks(),
    ...(options.oneTimeUse ? { actAssertionReplayCache: new MemoryReplayCache() } : {}),
    logger: auditLogger(),
  });
}

async function signedFor(agentId: string, sender = application): Promise<string> {
  const assertion = await sender.prepareActAssertion({ act: person, agentId, apiAudience: env.KEYCLOAK_API_AUDIENCE });
  markSensitive(assertion);
  return assertion;
}

describe("the application-signed assertion with Keycloak's real agent token", () => {
  it('the agent gets an agent-only token from Keycloak and forwards the assertion unchanged; the API reads agent and person', async () => {
    const assertion = await signedFor(AGENT);
    const token = await (await agentAdapter()).requestToken({ agentId: AGENT, scope: SCOPE, actAssertion: assertion });
    markSensitive(token.accessToken);
    expect(token.actAssertion).toBe(assertion);

    const claims = await verifyAccessToken(token.accessToken); // the realm signed it
    expect(claims.azp).toBe(AGENT);
    expect(claims).not.toHaveProperty('act'); // no person in the agent's own token: the agent named nobody

    const { agent, human, layout } = await (await verifier())(token.accessToken, { actAssertion: token.actAssertion });
    expect(layout).toBe('assertion');
    expect(agent.id).toBe(AGENT);
    expect(human.id).toBe(env.TEST_USER_ID);
  });

  it('refuses the real token without an assertion, with one signed by another key, and with one naming another agent', async () => {
    const token = await (await agentAdapter()).requestToken({ agentId: AGENT, scope: SCOPE, actAssertion: await signedFor(AGENT) });
    markSensitive(token.accessToken);
    const verify = await verifier();
    expect((await rejection(verify(token.accessToken))).code).toBe('ERR_ACT_ASSERTION_MISSING');
    expect((await rejection(verify(token.accessToken, { actAssertion: await signedFor(AGENT, intruder) }))).code).toBe('ERR_ACT_ASSERTION_INVALID');
    expect((await rejection(verify(token.accessToken, { actAssertion: await signedFor('another-agent') }))).code).toBe('ERR_ACT_ASSERTION_AGENT_MISMATCH');
  });

  it('one-time use: the second call with the same assertion is a replay', async () => {
    const assertion = await signedFor(AGENT);
    const token = await (await agentAdapter()).requestToken({ agentId: AGENT, scope: SCOPE, actAssertion: assertion });
    markSensitive(token.accessToken);
    const verify = await verifier({ oneTimeUse: true });
    await verify(token.accessToken, { actAssertion: assertion });
    expect((await rejection(verify(token.accessToken, { actAssertion: assertion }))).code).toBe('ERR_ACT_ASSERTION_REPLAY');
  });
});
