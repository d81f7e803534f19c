/**
 * Delegation 'assertion' with a token cache, against the local IAM and a real
 * HTTPS API: the agent's own token names no person, so it is requested once per
 * agent, scopes and audience and reused for every person; each API call carries
 * its own application-signed assertion. The session handlers check the
 * assertion with the adapter's own check, also on a cache hit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter, getConfig, HybridSender, OutOfSessionAPICall, OutOfSessionTokenRequest, TokenCache, type BaseAdapter } from '../../src/index.js';
import { startLocalIam, type LocalIam } from '../../src/local-iam/index.js';
import { startTestServer, testCertificates, type TestServer } from '../helpers/https-server.js';
import { markSensitive, rejection } from '../helpers/log-audit.js';

const SCOPE = ['finance.read'];
let iam: LocalIam;
let api: TestServer;
let adapter: BaseAdapter;
let agentId: string;
let sender: HybridSender;

beforeAll(async () => {
  iam = await startLocalIam({ vendor: 'keycloak', certificates: await testCertificates() });
  api = await startTestServer();
  const config = await getConfig({ env: iam.env });
  agentId = config.clientId;
  adapter = createAdapter(config, { ca: iam.caCert, retries: 0, delegation: 'assertion' });
  sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
});
afterAll(async () => {
  await api?.close();
  await iam?.close();
});

const assertionFor = async (person: string): Promise<string> => {
  const assertion = await sender.prepareActAssertion({ act: { sub: person }, agentId, apiAudience: iam.apiAudience });
  markSensitive(assertion);
  return assertion;
};

describe("delegation 'assertion' with a token cache", () => {
  it('two people, one agent and scope: one IAM token request; each API call carries its own assertion', async () => {
    const cache = new TokenCache();
    const agent = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: iam.app.publicKeyPath, cache });
    const alice = await assertionFor('alice-id');
    const bob = await assertionFor('bob-id');
    const before = iam.tokenRequestCount();
    const forAlice = await agent.requestToken({ agentId, scope: SCOPE, actAssertion: alice });
    const forBob = await agent.requestToken({ agentId, scope: SCOPE, actAssertion: bob });
    const aliceAgain = await agent.requestToken({ agentId, scope: SCOPE, actAssertion: alice });
    markSensitive(forAlice.accessToken);
    expect(iam.tokenRequestCount() - before).toBe(1);
    expect(cache.size).toBe(1);
    expect(forBob.accessToken).toBe(forAlice.accessToken);
    expect([forAlice.actAssertion, forBob.actAssertion, aliceAgain.actAssertion]).toEqual([alice, bob, alice]);

    const call = new OutOfSessionAPICall({ ca: api.caCert });
    const first = api.requests.length;
    for (const token of [forAlice, forBob]) await (await call.callApi({ method: 'GET', apiUrl: api.url('/finance/report'), tokenResponse: token })).json();
    const sent = api.requests.slice(first);
    expect(sent.map((r) => r.headers['x-act-assertion'])).toEqual([alice, bob]);
    expect(sent.map((r) => r.headers.authorization)).toEqual([`Bearer ${forAlice.accessToken}`, `Bearer ${forAlice.accessToken}`]);

    // Other scopes are another token.
    await agent.requestToken({ agentId, scope: ['finance.read', 'finance.write'], actAssertion: bob });
    expect(iam.tokenRequestCount() - before).toBe(2);
  });

  it('a malformed assertion is refused with the adapter\'s own check and code, cached token or not', async () => {
    const agent = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: iam.app.publicKeyPath, cache: true });
    await agent.requestToken({ agentId, scope: SCOPE, actAssertion: await assertionFor('alice-id') });
    for (const actAssertion of ['not a jws', undefined]) {
      const error = await rejection(agent.requestToken({ agentId, scope: SCOPE, actAssertion }));
      expect(error.name).toBe('DualAuthError');
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toBe(
        actAssertion === undefined
          ? "actAssertion (the application's signed act assertion) is required with delegation 'assertion'"
          : 'actAssertion must be a compact JWS (three base64url parts), at most 16384 characters',
      );
    }
  });
});
