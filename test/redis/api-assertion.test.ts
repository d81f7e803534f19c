/**
 * The API side on Redis: one call per application act assertion across API
 * replicas (actAssertionReplayCache = RedisReplayCache), the agent's own replay
 * record kept apart from the API's, and a 503 (never an acceptance) when Redis
 * cannot answer. Real local IAM (Keycloak profile), real Redis (standalone and cluster).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAdapter,
  createDualSubjectVerifier,
  getConfig,
  httpStatusFor,
  HybridSender,
  OutOfSessionTokenRequest,
  type BaseAdapter,
  type ReplayCache,
} from '../../src/index.js';
import { startLocalIam, type LocalIam } from '../../src/local-iam/index.js';
import { bearerErrorResponse } from '../../src/verify/index.js';
import { RedisReplayCache } from '../../src/redis/index.js';
import { markSensitive, rejection } from '../helpers/log-audit.js';
import { connection, nodeUrls, scanEverything, type Topology } from './helpers.js';

const AGENT_ENDPOINT = 'https://agent.example.com/invoke';
const SCOPE = ['finance.read'];

let iam: LocalIam;
let agentId: string;
let adapter: BaseAdapter;
let sender: HybridSender;
const caches: RedisReplayCache[] = [];

beforeAll(async () => {
  iam = await startLocalIam({ vendor: 'keycloak' });
  const config = await getConfig({ env: iam.env });
  agentId = config.clientId;
  adapter = createAdapter(config, { ca: iam.caCert, retries: 0, delegation: 'assertion' });
  sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
  markSensitive(iam.testUser.email, iam.testUser.name, iam.agent.clientSecret);
});
afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  await iam?.close();
});

function replayCache(options: ConstructorParameters<typeof RedisReplayCache>[0]): RedisReplayCache {
  const cache = new RedisReplayCache(options);
  caches.push(cache);
  return cache;
}

function apiVerifier(store: ReplayCache) {
  return createDualSubjectVerifier({
    vendor: 'keycloak',
    issuer: iam.issuer,
    audience: iam.apiAudience,
    ca: iam.caCert,
    layout: 'assertion',
    actAssertionKey: iam.app.publicKeyPem,
    actAssertionIssuer: 'application',
    actAssertionReplayCache: store,
  });
}

/** The application signs an assertion for the agent and the API; the agent checks it (its own replay record) and gets its token. */
async function agentCall(agentStore: ReplayCache): Promise<{ accessToken: string; actAssertion: string; jti: string }> {
  const assertion = await sender.prepareActAssertion({
    act: { sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name },
    agentId,
    apiAudience: iam.apiAudience,
    agentEndpoint: AGENT_ENDPOINT,
  });
  markSensitive(assertion);
  const agent = new OutOfSessionTokenRequest({ adapter, appPublicKey: iam.app.publicKeyPem, replayCache: agentStore });
  await agent.receiveAndVerifyActJwt({ actJwt: assertion, expectedAudience: AGENT_ENDPOINT, agentId });
  // The agent's record: the same assertion again is a replay at the agent.
  expect((await rejection(agent.receiveAndVerifyActJwt({ actJwt: assertion, expectedAudience: AGENT_ENDPOINT, agentId }))).code).toBe('ERR_ACT_REPLAY');
  const token = await agent.requestToken({ agentId, scope: SCOPE, actAssertion: assertion });
  markSensitive(token.accessToken);
  const jti = JSON.parse(Buffer.from(assertion.split('.')[1] as string, 'base64url').toString('utf8')).jti as string;
  return { accessToken: token.accessToken, actAssertion: token.actAssertion as string, jti };
}

describe.each<Topology>(['standalone', 'cluster'])('act assertions used once across API replicas (%s)', (topology) => {
  it('two API replicas, one Redis: the same assertion is accepted by exactly one; the agent keeps its own records', async () => {
    const prefix = `dual-auth:assertion-test:${randomBytes(4).toString('hex')}:`;
    const call = await agentCall(replayCache({ ...connection(topology), keyPrefix: `${prefix}agent:` }));
    const replicas = [0, 1].map(() => apiVerifier(replayCache({ ...connection(topology), keyPrefix: `${prefix}api:` })));
    const results = await Promise.allSettled(replicas.map((verify) => verify(call.accessToken, { actAssertion: call.actAssertion })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason.code).toBe('ERR_ACT_ASSERTION_REPLAY');
    expect(httpStatusFor(refusal.reason)).toBe(401);
    for (const verify of replicas) expect((await rejection(verify(call.accessToken, { actAssertion: call.actAssertion }))).code).toBe('ERR_ACT_ASSERTION_REPLAY');

    // One record each side, under its own prefix; neither names the jti nor holds the assertion.
    const entries = (await scanEverything(nodeUrls(topology))).filter((e) => e.key.startsWith(prefix));
    expect(entries.map((e) => e.key.slice(prefix.length).split(':')[0]).sort()).toEqual(['agent', 'api']);
    for (const entry of entries) {
      expect(entry.key).not.toContain(call.jti);
      expect(entry.value).toBe('1');
    }
  });

  it("one store for both sides: the API does not take the agent's record for a replay (actAssertionReplayPrefix)", async () => {
    const shared = replayCache({ ...connection(topology), keyPrefix: `dual-auth:assertion-test:${randomBytes(4).toString('hex')}:` });
    const call = await agentCall(shared);
    const verify = apiVerifier(shared);
    expect((await verify(call.accessToken, { actAssertion: call.actAssertion })).layout).toBe('assertion');
    expect((await rejection(verify(call.accessToken, { actAssertion: call.actAssertion }))).code).toBe('ERR_ACT_ASSERTION_REPLAY');
  });
});

describe('the API side when Redis cannot answer', () => {
  it('refuses with ERR_REPLAY_STORE_UNAVAILABLE: a 503 with Retry-After, never an acceptance', async () => {
    const call = await agentCall(replayCache(connection('standalone')));
    const verify = apiVerifier(replayCache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 }));
    const error = await rejection(verify(call.accessToken, { actAssertion: call.actAssertion }));
    expect(error.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(httpStatusFor(error)).toBe(503);
    const answer = bearerErrorResponse(error);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBeDefined();
  });
});
