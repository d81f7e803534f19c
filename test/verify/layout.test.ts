/**
 * The verifier's layouts: the reference ('act': sub = the agent, act = the
 * person) and RFC 8693's ('delegated': sub = the person, the client claim = the
 * agent), per vendor, with tokens in each vendor's shape signed by a test key.
 * The person's own login token, the agent's own token, another agent's token
 * and an act naming another party are refused, each with its code.
 */
import { JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { rejection, thrown } from '../helpers/log-audit.js';
import { createDualSubjectVerifier, httpStatusFor, type TokenLayout, type Vendor, type VerifyOptions } from '../../src/verify/index.js';
import { makeSigningKey, now, sign, type SigningKey } from './helpers.js';

const ISSUER = 'https://iam.example.test/issuer';
const AUDIENCE = 'https://api.example.test/finance';
const AGENT = 'finance-agent';
const WEB_APP = 'finance-web-app';
const OTHER_AGENT = 'other-agent';
const USER = 'user-7f3a';

let key: SigningKey;
beforeAll(async () => {
  key = await makeSigningKey('RS256');
});

function verifier(vendor: Vendor, layout: TokenLayout | TokenLayout[], extra: Partial<VerifyOptions> = {}) {
  return createDualSubjectVerifier({ vendor, issuer: ISSUER, audience: AUDIENCE, key: key.publicJwk, layout, ...extra });
}

function token(claims: JWTPayload): Promise<string> {
  const t = now();
  return sign({ iss: ISSUER, aud: AUDIENCE, iat: t, exp: t + 300, ...claims }, key);
}

/** Each vendor's tokens: the reference one, the delegated one, the person's own login token, the agent's own. */
interface Shapes {
  reference: JWTPayload;
  delegated: (client: string) => JWTPayload;
  login: JWTPayload;
  agentOnly: JWTPayload;
}

const SHAPES: Record<Exclude<Vendor, 'entraid'>, Shapes> = {
  keycloak: {
    reference: { sub: 'sa-0b1c', azp: AGENT, realm_access: { roles: ['FinanceAgent'] }, act: { sub: USER } },
    // Token exchange with the act mapper: act.sub = the requesting client.
    delegated: (client) => ({ sub: USER, azp: client, preferred_username: 'alice', email: 'alice@example.test', act: { sub: client }, scope: 'finance.read' }),
    login: { sub: USER, azp: WEB_APP, preferred_username: 'alice', scope: 'openid finance.read' },
    agentOnly: { sub: 'sa-0b1c', azp: AGENT, client_id: AGENT, preferred_username: `service-account-${AGENT}` },
  },
  auth0: {
    reference: { sub: `${AGENT}@clients`, azp: AGENT, gty: 'client-credentials', act: { sub: 'auth0|u1' } },
    // On-Behalf-Of token exchange: the acting client in act.
    delegated: (client) => ({ sub: USER, azp: client, act: { sub: client }, scope: 'finance.read', permissions: ['finance.read'] }),
    login: { sub: USER, azp: WEB_APP, scope: 'openid finance.read' },
    agentOnly: { sub: `${AGENT}@clients`, azp: AGENT, gty: 'client-credentials' },
  },
  okta: {
    reference: { sub: AGENT, cid: AGENT, scp: ['finance.read'], act: { sub: '00u1' } },
    // On-Behalf-Of: no act, the user in sub/uid, the agent in cid.
    delegated: (client) => ({ sub: 'alice@example.test', uid: USER, cid: client, scp: ['finance.read'] }),
    login: { sub: 'alice@example.test', uid: USER, cid: WEB_APP, scp: ['openid', 'finance.read'] },
    agentOnly: { sub: AGENT, cid: AGENT, scp: ['finance.read'] },
  },
};

const needsAgents = (vendor: Vendor): boolean => vendor === 'okta' || vendor === 'entraid';

async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(error.code).toBe(code);
  expect(httpStatusFor(error)).toBe(401);
}

for (const [vendor, shapes] of Object.entries(SHAPES) as Array<[Exclude<Vendor, 'entraid'>, Shapes]>) {
  describe(`${vendor}: delegated layout`, () => {
    const delegated = (extra: Partial<VerifyOptions> = {}) =>
      verifier(vendor, 'delegated', needsAgents(vendor) ? { agents: [AGENT], ...extra } : extra);

    it('reads the person from sub and the agent from the client claim', async () => {
      const identity = await delegated()(await token(shapes.delegated(AGENT)));
      expect(identity.layout).toBe('delegated');
      expect(identity.agent.id).toBe(AGENT);
      expect(identity.agent.subject).toBeUndefined();
      expect(identity.human.id).toBe(vendor === 'okta' ? 'alice@example.test' : USER);
    });

    it("refuses the person's own login token", async () => {
      // Without an allow-list only act.sub = the client shows delegation; with one, the web app is not an agent.
      if (!needsAgents(vendor)) await refused(delegated()(await token(shapes.login)), 'ERR_TOKEN_NOT_DELEGATED');
      await refused(delegated({ agents: [AGENT] })(await token(shapes.login)), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
    });

    it("refuses the agent's own client-credentials token", async () => {
      await refused(delegated()(await token(shapes.agentOnly)), 'ERR_TOKEN_AGENT_ONLY');
      // Even with an act naming the agent itself (as a forged client assertion could make the act mapper copy it).
      await refused(delegated()(await token({ ...shapes.agentOnly, act: { sub: AGENT } })), 'ERR_TOKEN_AGENT_ONLY');
    });

    it("refuses a token for another agent, and an act naming another party", async () => {
      await refused(delegated({ agents: [AGENT] })(await token(shapes.delegated(OTHER_AGENT))), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
      await refused(delegated()(await token({ ...shapes.delegated(AGENT), act: { sub: OTHER_AGENT } })), 'ERR_TOKEN_NOT_DELEGATED');
    });

    it('refuses a reference-layout token', async () => {
      const error = await rejection(delegated()(await token(shapes.reference)));
      expect(['ERR_TOKEN_AGENT_ONLY', 'ERR_TOKEN_NOT_DELEGATED']).toContain(error.code);
    });
  });

  describe(`${vendor}: the reference layout (default) and both`, () => {
    it('the default reads act and refuses a delegated token read backwards', async () => {
      const identity = await verifier(vendor, 'act')(await token(shapes.reference));
      expect(identity.layout).toBe('act');
      expect(identity.human.id).toBe((shapes.reference.act as { sub: string }).sub);
      const error = await rejection(createDualSubjectVerifier({ vendor, issuer: ISSUER, audience: AUDIENCE, key: key.publicJwk })(await token(shapes.delegated(AGENT))));
      // An act naming the client itself, or a subject that is a person: never human = the agent.
      expect(['ERR_TOKEN_LAYOUT', 'ERR_TOKEN_NO_ACT']).toContain(error.code);
    });

    it('with both layouts, each token is read in its own', async () => {
      const both = verifier(vendor, ['act', 'delegated'], needsAgents(vendor) ? { agents: [AGENT] } : {});
      const reference = await both(await token(shapes.reference));
      expect(reference).toMatchObject({ layout: 'act', agent: { id: AGENT }, human: { id: (shapes.reference.act as { sub: string }).sub } });
      const delegated = await both(await token(shapes.delegated(AGENT)));
      expect(delegated).toMatchObject({ layout: 'delegated', agent: { id: AGENT } });
      expect(delegated.human.id).not.toBe(AGENT);
      await refused(both(await token(shapes.agentOnly)), 'ERR_TOKEN_AGENT_ONLY');
    });
  });
}

describe('keycloak and auth0: what cannot be told apart without more claims', () => {
  it('a person-subject token with an act naming someone else is never read as the reference layout', async () => {
    const both = verifier('keycloak', ['act', 'delegated']);
    await refused(both(await token({ ...SHAPES.keycloak.login, azp: AGENT, act: { sub: OTHER_AGENT } })), 'ERR_TOKEN_LAYOUT');
    const auth0 = verifier('auth0', ['act', 'delegated']);
    await refused(auth0(await token({ sub: USER, azp: AGENT, act: { sub: OTHER_AGENT } })), 'ERR_TOKEN_LAYOUT');
  });
});

describe('keycloak and auth0 with agents: the actor must be the client, not only the client an allowed agent', () => {
  for (const vendor of ['keycloak', 'auth0'] as const) {
    const agents = [AGENT, OTHER_AGENT];
    // sub = a person, azp = an allowed agent; no claim that marks the subject a person (Keycloak's preferred_username).
    const personToken = (act?: { sub: string }) => token({ sub: USER, azp: AGENT, scope: 'finance.read', ...(act ? { act } : {}) });

    it(`${vendor}: a token of an allowed client with no act is not delegated`, async () => {
      await refused(verifier(vendor, 'delegated', { agents })(await personToken()), 'ERR_TOKEN_NOT_DELEGATED');
      await refused(verifier(vendor, ['act', 'delegated'], { agents })(await personToken()), 'ERR_TOKEN_NOT_DELEGATED');
    });

    it(`${vendor}: an act naming another allowed agent is refused in every layout`, async () => {
      const otherActs = await personToken({ sub: OTHER_AGENT });
      await refused(verifier(vendor, 'delegated', { agents })(otherActs), 'ERR_TOKEN_NOT_DELEGATED');
      // Never read as the reference layout with the other agent as "the person".
      await refused(verifier(vendor, ['act', 'delegated'], { agents })(otherActs), 'ERR_TOKEN_NOT_DELEGATED');
      const reference = vendor === 'keycloak' ? { ...SHAPES.keycloak.reference } : { ...SHAPES.auth0.reference };
      await refused(verifier(vendor, 'act', { agents })(await token({ ...reference, act: { sub: OTHER_AGENT } })), 'ERR_TOKEN_LAYOUT');
      // The delegated token itself still passes.
      expect((await verifier(vendor, 'delegated', { agents })(await personToken({ sub: AGENT }))).layout).toBe('delegated');
    });
  }
});

describe('entraid: delegated layout (On-Behalf-Of)', () => {
  const obo = (client: string): JWTPayload => ({ ver: '2.0', sub: 'pairwise-9x', oid: USER, azp: client, scp: 'Finance.Read', name: 'Alice Example', tid: 't1' });
  const appOnly: JWTPayload = { ver: '2.0', sub: 'sp-oid-1', oid: 'sp-oid-1', azp: AGENT, roles: ['FinanceAgent'], tid: 't1' };

  it('reads the person (sub, oid) from an OBO token of an allowed agent', async () => {
    const identity = await verifier('entraid', 'delegated', { agents: [AGENT] })(await token(obo(AGENT)));
    expect(identity).toMatchObject({ layout: 'delegated', agent: { id: AGENT, scopes: ['Finance.Read'] }, human: { id: USER, oid: USER, name: 'Alice Example' } });
  });

  it('refuses a login token, an app-only token (with or without idtyp) and another agent', async () => {
    const verify = verifier('entraid', 'delegated', { agents: [AGENT] });
    await refused(verify(await token(obo(WEB_APP))), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
    await refused(verify(await token(appOnly)), 'ERR_TOKEN_AGENT_ONLY');
    await refused(verify(await token({ ...appOnly, oid: 'sp-oid-2', idtyp: 'app' })), 'ERR_TOKEN_AGENT_ONLY');
    await refused(verify(await token({ ...obo(AGENT), scp: undefined, roles: ['FinanceAgent'] })), 'ERR_TOKEN_AGENT_ONLY');
    await refused(verify(await token(obo(OTHER_AGENT))), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
  });
});

describe('configuration', () => {
  it('okta and entraid need agents for the delegated layout: their OBO tokens carry no act', () => {
    for (const vendor of ['okta', 'entraid'] as const) {
      const error = thrown(() => verifier(vendor, ['act', 'delegated'], vendor === 'entraid' ? { actAssertionKey: key.publicJwk } : {}));
      expect(error.code).toBe('ERR_CONFIGURATION');
      expect(error.message).toMatch(/agents/);
    }
    expect(() => verifier('keycloak', 'delegated')).not.toThrow();
    expect(() => verifier('auth0', 'delegated')).not.toThrow();
  });

  it('refuses unknown layouts and empty or malformed agents', () => {
    for (const layout of [[], ['reference'], 'sub', [42]] as never[]) expect(thrown(() => verifier('keycloak', layout)).code).toBe('ERR_CONFIGURATION');
    for (const agents of [[], [''], 'finance-agent', [1]] as never[]) expect(thrown(() => verifier('keycloak', 'act', { agents })).code).toBe('ERR_CONFIGURATION');
  });

  it('refuses assertion options a verifier cannot use, naming the option', () => {
    const appKey = key.publicJwk;
    const cases: Array<[Vendor, TokenLayout | TokenLayout[], Partial<VerifyOptions>, string]> = [
      // No X-Act-Assertion is read: every assertion option would be ignored.
      ['keycloak', 'act', { actAssertionKey: appKey }, 'actAssertionKey'],
      ['auth0', 'delegated', { actAssertionJwksUri: 'https://app.example.test/jwks.json' }, 'actAssertionJwksUri'],
      ['okta', ['act', 'delegated'], { agents: [AGENT], actAssertionIssuer: 'application' }, 'actAssertionIssuer'],
      ['keycloak', 'act', { actAssertionReplayCache: { checkAndStore: async () => true } }, 'actAssertionReplayCache'],
      ['keycloak', 'act', { bindAgentToken: true }, 'bindAgentToken'],
      ['entraid', 'delegated', { agents: [AGENT], actAssertionAudience: AUDIENCE }, 'actAssertionAudience'],
      // A prefix without the cache it prefixes.
      ['keycloak', 'assertion', { actAssertionKey: appKey, actAssertionReplayPrefix: 'api:' }, 'actAssertionReplayPrefix'],
      // The application signs before the agent has its token: no ath can bind them.
      ['keycloak', 'assertion', { actAssertionKey: appKey, bindAgentToken: true }, 'bindAgentToken'],
      ['entraid', ['act', 'assertion'], { actAssertionKey: appKey, bindAgentToken: true }, 'bindAgentToken'],
    ];
    for (const [vendor, layout, extra, named] of cases) {
      const error = thrown(() => verifier(vendor, layout, extra));
      expect(error.code).toBe('ERR_CONFIGURATION');
      expect(error.message).toContain(named);
    }
    // What works stays accepted: EntraID's reference assertion bound to its token, bindAgentToken false anywhere.
    expect(verifier('entraid', 'act', { actAssertionKey: appKey, bindAgentToken: true }).readsActAssertion).toBe(true);
    expect(verifier('keycloak', 'act', { bindAgentToken: false }).readsActAssertion).toBe(false);
  });

  it('refuses a malformed actClaim or actAssertionIssuer, naming the option', () => {
    for (const actClaim of ['', ' act', 'my act', 42, 'x'.repeat(257)] as never[]) {
      const error = thrown(() => verifier('auth0', 'act', { actClaim }));
      expect([error.code, error.message.startsWith('actClaim must be a claim name')]).toEqual(['ERR_CONFIGURATION', true]);
    }
    expect(verifier('auth0', 'act', { actClaim: 'https://api.example.test/act' }).readsActAssertion).toBe(false);
    for (const actAssertionIssuer of ['', [], [''], 7] as never[]) {
      const error = thrown(() => verifier('keycloak', 'assertion', { actAssertionKey: key.publicJwk, actAssertionIssuer }));
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', 'actAssertionIssuer must be a non-empty string or array of strings']);
    }
  });

  it('agents applies to the reference layout too', async () => {
    const verify = verifier('keycloak', 'act', { agents: [OTHER_AGENT] });
    await refused(verify(await token(SHAPES.keycloak.reference)), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
  });
});
