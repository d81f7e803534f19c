/**
 * Clock skew of ±5 minutes between the agent, the application and the IAM (issue 14).
 * The IAMs (the local IAM in its own process, the real Keycloak) keep the true time;
 * this process's clock, which signs client assertions and act JWTs and checks tokens,
 * is moved with vi.setSystemTime. Each case states which flow still works and with
 * which tolerance option.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HybridSender, KeycloakAdapter, OutOfSessionTokenRequest, createDualSubjectVerifier, type TokenResponse } from '../../src/index.js';
import { auditLogger, markSensitive } from '../helpers/log-audit.js';
import { setup, timed } from './helpers.js';

const SKEW_MS = 5 * 60_000;
const AGENT_ENDPOINT = 'https://agent.local.test/invoke';

afterEach(() => {
  vi.useRealTimers();
});

/** This process's clock moved by `offsetMs` from now on (Date only: timers keep running). */
function moveClock(offsetMs: number): void {
  const real = Date.now();
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  vi.setSystemTime(real + offsetMs);
}

function localAdapter() {
  const { iam, caCert } = setup().local;
  return new KeycloakAdapter({ tokenUrl: iam.tokenUrl, clientId: iam.clientId, clientSecret: iam.clientSecret }, { ca: caCert, retries: 0, logger: auditLogger() });
}
const localToken = (): Promise<TokenResponse> =>
  localAdapter().requestToken({ agentId: setup().local.iam.clientId, act: { sub: setup().local.iam.testUserId }, scope: ['finance.read'] });

function keycloakAdapter() {
  const kc = setup().keycloak;
  markSensitive(kc.clientSecret);
  return new KeycloakAdapter({ tokenUrl: kc.tokenUrl, clientId: kc.clientId, clientSecret: kc.clientSecret }, { ca: kc.caCert, retries: 0, logger: auditLogger() });
}

const explain = (outcome: Awaited<ReturnType<typeof timed>>) => (outcome.error ? outcome.error.code : 'ok');

describe('agent → IAM: the client assertion (iat, exp = iat + 300 s) signed with a skewed clock', () => {
  it('the local IAM (oidc-provider) takes an assertion from an agent 5 min ahead (it checks exp, not a future iat)', async () => {
    moveClock(SKEW_MS);
    expect(explain(await timed(localToken))).toBe('ok');
  });

  it('the local IAM refuses an assertion from an agent 6 min behind: it expired a minute before it was sent', async () => {
    moveClock(-SKEW_MS - 60_000);
    const outcome = await timed(localToken);
    expect(outcome.error?.code).toBe('ERR_TOKEN_HTTP');
    expect((outcome.error as { iamError?: string }).iamError).toBe('invalid_client');
  });

  for (const [label, offset] of [['5 min ahead', SKEW_MS], ['5 min behind', -SKEW_MS]] as const) {
    it(`Keycloak 26 refuses an assertion from an agent ${label} (invalid_client): agents need a synchronised clock`, async () => {
      moveClock(offset);
      const kc = setup().keycloak;
      const outcome = await timed(() => keycloakAdapter().requestToken({ agentId: kc.clientId, act: { sub: kc.userId }, scope: ['finance.read'] }));
      expect(outcome.error?.code).toBe('ERR_TOKEN_HTTP');
      expect((outcome.error as { iamError?: string }).iamError).toBe('invalid_client');
    });
  }
});

describe('IAM → API: a fresh token (300 s) checked by an API whose clock is skewed', () => {
  const cases: Array<[string, number, number, string]> = [
    // Ahead by the token's whole lifetime: expired for the API, within the default 30 s leeway.
    ['5 min ahead', SKEW_MS, 30, 'ok'],
    ['6 min ahead', SKEW_MS + 60_000, 30, 'ERR_TOKEN_EXPIRED'],
    ['6 min ahead', SKEW_MS + 60_000, 90, 'ok'],
    // Behind: the token is not yet "issued" for the API, but nothing checks iat (no nbf in IAM tokens).
    ['5 min behind', -SKEW_MS, 30, 'ok'],
  ];
  for (const [label, offset, tolerance, expected] of cases) {
    it(`API ${label}, clockToleranceSeconds ${tolerance}: ${expected}`, async () => {
      const token = await localToken();
      markSensitive(token.accessToken);
      const { iam, caCert } = setup().local;
      const verify = createDualSubjectVerifier({ vendor: 'keycloak', issuer: iam.issuer, audience: iam.apiAudience, jwksUri: iam.jwksUri, ca: caCert, clockToleranceSeconds: tolerance });
      moveClock(offset);
      expect(explain(await timed(() => verify(token.accessToken)))).toBe(expected);
    });
  }
});

describe('application → agent: an act JWT (ttl 60 s) signed by an application whose clock is skewed', () => {
  const cases: Array<[string, number, number, string]> = [
    // The reference's default, no leeway: a JWT from the future is immature, one from the past expired.
    ['5 min ahead', SKEW_MS, 0, 'ERR_ACT_INVALID'],
    ['5 min behind', -SKEW_MS, 0, 'ERR_ACT_EXPIRED'],
    // clockToleranceSeconds above the skew accepts both (and keeps the jti that much longer).
    ['5 min ahead', SKEW_MS, 330, 'ok'],
    ['5 min behind', -SKEW_MS, 330, 'ok'],
  ];
  for (const [label, offset, tolerance, expected] of cases) {
    it(`application ${label}, agent clockToleranceSeconds ${tolerance}: ${expected}`, async () => {
      const { iam } = setup().local;
      moveClock(offset);
      const actJwt = await new HybridSender({ privateKeyPem: iam.app.privateKeyPath }).prepareOutOfSessionAct({ act: { sub: iam.testUserId }, agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 60 });
      vi.useRealTimers();
      const receiver = new OutOfSessionTokenRequest({ adapter: localAdapter(), appPublicKey: iam.app.publicKeyPem, clockToleranceSeconds: tolerance });
      expect(explain(await timed(() => receiver.receiveAndVerifyActJwt({ actJwt, expectedAudience: AGENT_ENDPOINT })))).toBe(expected);
    });
  }
});
