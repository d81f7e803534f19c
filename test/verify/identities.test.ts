/**
 * The identities a verified token yields, and the message of each refusal of its layout: which
 * claims make the person (act or the delegated subject; email, name, oid only when strings), which
 * make the agent (its subject only when the token's sub is the agent), and why a token is refused
 * in each layout. Keycloak tokens signed by hand with node:crypto; the key given directly. Issue 16.
 */
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDualSubjectVerifier, httpStatusFor, type VerifyOptions } from '../../src/verify/index.js';
import { rejection } from '../helpers/log-audit.js';

const ISSUER = 'https://iam.example.test/realms/r';
const AUDIENCE = 'https://api.example.test';
const AGENT = 'finance-agent';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(extra: Record<string, unknown>): string {
  const t = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 300, ...extra };
  const input = `${b64({ alg: 'RS256' })}.${b64(claims)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const verifier = (extra: Partial<VerifyOptions> = {}) => createDualSubjectVerifier({ vendor: 'keycloak', issuer: ISSUER, audience: AUDIENCE, key: publicKey, ...extra });

async function refused(promise: Promise<unknown>, code: string, message: string): Promise<void> {
  const error = await rejection(promise);
  expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({ code, message, status: 401 });
}

describe("the reference layout ('act')", () => {
  it('the person from act: sub, and email, name, oid when they are strings; the agent with its subject', async () => {
    const identity = await verifier()(token({ sub: 'sa-1', scope: 'a b', realm_access: { roles: ['r'] }, act: { sub: 'user-7', email: 'e@x.test', name: 'N', oid: 'o-1' } }));
    expect(identity.human).toEqual({ id: 'user-7', email: 'e@x.test', name: 'N', oid: 'o-1' });
    expect(identity.agent).toEqual({ id: AGENT, clientId: AGENT, roles: ['r'], scopes: ['a', 'b'], subject: 'sa-1' });
    expect(identity.layout).toBe('act');
    const plain = await verifier()(token({ sub: 5, act: { sub: 'user-7', email: 1, name: null, oid: {} } }));
    expect(plain.human).toEqual({ id: 'user-7' });
    expect(plain.agent).toEqual({ id: AGENT, clientId: AGENT, roles: [], scopes: [] });
  });

  it('each malformed act, with its message', async () => {
    const verify = verifier();
    await refused(verify(token({ sub: 'sa-1' })), 'ERR_TOKEN_NO_ACT', 'Access token has no act claim');
    await refused(verify(token({ sub: 'sa-1', act: null })), 'ERR_TOKEN_NO_ACT', 'Access token has no act claim');
    for (const act of ['user-7', ['user-7'], 7]) await refused(verify(token({ sub: 'sa-1', act })), 'ERR_TOKEN_NO_ACT', 'Access token act claim is not an object');
    for (const sub of [undefined, '', '  ', 7]) await refused(verify(token({ sub: 'sa-1', act: { sub } })), 'ERR_TOKEN_NO_ACT', 'Access token act claim has no sub');
  });

  it('an act naming the agent itself, or a person as the subject, is another layout', async () => {
    const message = 'Access token is not in the reference layout (sub = the agent, act = the person)';
    await refused(verifier()(token({ sub: 'sa-1', act: { sub: AGENT } })), 'ERR_TOKEN_LAYOUT', message);
    await refused(verifier()(token({ sub: 'user-7', preferred_username: 'alice', act: { sub: 'user-9' } })), 'ERR_TOKEN_LAYOUT', message);
  });
});

describe("the delegated layout (token exchange: sub = the person, act.sub = the agent)", () => {
  const delegated = (extra: Partial<VerifyOptions> = {}) => verifier({ layout: 'delegated', ...extra });

  it('the person from sub, with email and name when strings; the agent without a subject', async () => {
    const identity = await delegated()(token({ sub: 'user-7', email: 'e@x.test', name: 'N', oid: 'o', act: { sub: AGENT } }));
    expect(identity.human).toEqual({ id: 'user-7', email: 'e@x.test', name: 'N' });
    expect(identity.agent.subject).toBeUndefined();
    expect(identity.layout).toBe('delegated');
    expect((await delegated()(token({ sub: 'user-7', email: 3, name: [], act: { sub: AGENT } }))).human).toEqual({ id: 'user-7' });
  });

  it('each refusal, with its message', async () => {
    await refused(delegated()(token({ sub: 'sa-1', client_id: AGENT, act: { sub: AGENT } })), 'ERR_TOKEN_AGENT_ONLY', "Access token is the agent's own: it names no person");
    await refused(delegated()(token({ sub: 'user-7', act: { sub: 'other-agent' } })), 'ERR_TOKEN_NOT_DELEGATED', 'Access token act names another party than its client');
    await refused(delegated()(token({ sub: 'user-7' })), 'ERR_TOKEN_NOT_DELEGATED', 'Access token shows no delegation to its client (no act)');
    for (const sub of [undefined, '', ' ', 9]) await refused(delegated()(token({ sub, act: { sub: AGENT } })), 'ERR_TOKEN_NO_ACT', 'Access token names no person (sub)');
  });

  it("the agent's own token without an assertion, where assertions are accepted too, says to send one", async () => {
    const every = verifier({ layout: ['act', 'delegated', 'assertion'], agents: [AGENT], actAssertionKey: publicKey });
    await refused(
      every(token({ sub: 'sa-1', client_id: AGENT })),
      'ERR_TOKEN_AGENT_ONLY',
      "Access token is the agent's own: it names no person (send the application's act assertion as X-Act-Assertion)",
    );
  });

  it('an agents allow-list refuses every other client first', async () => {
    await refused(delegated({ agents: ['someone-else'] })(token({ sub: 'user-7', act: { sub: AGENT } })), 'ERR_TOKEN_AGENT_NOT_ALLOWED', 'Access token was issued to a client that is not an accepted agent');
    expect((await delegated({ agents: [AGENT] })(token({ sub: 'user-7', act: { sub: AGENT } }))).human.id).toBe('user-7');
  });
});

describe('several layouts', () => {
  it('a token in a layout the API does not accept is refused as such', async () => {
    const verify = verifier({ layout: ['act', 'assertion'], actAssertionKey: publicKey });
    await refused(verify(token({ sub: 'user-7', act: { sub: AGENT } })), 'ERR_TOKEN_LAYOUT', 'Access token is in a layout this API does not accept');
    expect((await verify(token({ sub: 'sa-1', act: { sub: 'user-7' } }))).layout).toBe('act');
  });
});
