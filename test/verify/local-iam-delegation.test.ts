/**
 * The API side of delegation, end to end with real tokens: the local IAM in each
 * vendor profile issues the person's own login token, the exchanged (delegated)
 * token and the agent's own client-credentials token to the library's adapters;
 * HybridSender signs the application's act assertion with the application key
 * the local IAM made; the verifier reads each in its layout, or refuses it with
 * its code.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdapter, getConfig, HybridSender, type BaseAdapter, type TokenResponse } from '../../src/index.js';
import { MemoryReplayCache } from '../../src/domain/replay-cache.js';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';
import { startLocalIam, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';
import { createDualSubjectVerifier, type VerifyOptions } from '../../src/verify/index.js';
import { markSensitive, rejection } from '../helpers/log-audit.js';

const VENDORS: LocalIamVendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];
const SCOPE = ['finance.read'];
let certificates: DevCertificates;

beforeAll(async () => {
  certificates = await createDevCertificates();
});

async function refused(promise: Promise<unknown>, code: string): Promise<void> {
  expect((await rejection(promise)).code).toBe(code);
}

for (const vendor of VENDORS) {
  // Each test makes several IAM round trips (and one an RSA key): minutes are a hang on an idle machine, not on a loaded one.
  describe(`local IAM (${vendor}): delegated and assertion layouts`, { timeout: 120_000 }, () => {
    let iam: LocalIam;
    let agentId: string;
    const adapters = {} as Record<'token-exchange' | 'assertion', BaseAdapter>;
    let sender: HybridSender;

    beforeAll(async () => {
      iam = await startLocalIam({ vendor, certificates });
      const config = await getConfig({ env: iam.env });
      agentId = config.clientId;
      for (const delegation of ['token-exchange', 'assertion'] as const) adapters[delegation] = createAdapter(config, { ca: certificates.caCert, retries: 0, delegation });
      sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
    });
    afterAll(async () => iam?.close());

    function verifier(extra: Partial<VerifyOptions>) {
      // No jwksUri: the vendor's default JWKS location under the issuer.
      return createDualSubjectVerifier({ vendor, issuer: iam.issuer, audience: iam.apiAudience, ca: certificates.caCert, ...extra });
    }
    // Entra ID's reference layout reads the X-Act-Assertion: the application key (the others read none).
    const entraKey = (): Partial<VerifyOptions> => (vendor === 'entraid' ? { actAssertionKey: iam.app.publicKeyPem } : {});
    // Okta and Entra ID On-Behalf-Of tokens carry no act: the API names its agents.
    const agents = (): Partial<VerifyOptions> => (vendor === 'okta' || vendor === 'entraid' ? { agents: [agentId] } : {});
    const mark = (token: TokenResponse): TokenResponse => {
      markSensitive(token.accessToken, token.actAssertion);
      return token;
    };
    const login = async (audience?: string): Promise<string> => {
      const token = await iam.issueLoginToken(audience === undefined ? {} : { audience });
      markSensitive(token);
      return token;
    };
    const exchanged = async () => mark(await adapters['token-exchange'].requestToken({ agentId, scope: SCOPE, subjectToken: await login() }));
    const agentOnly = async (actAssertion: string) => mark(await adapters.assertion.requestToken({ agentId, scope: SCOPE, actAssertion }));
    const signed = (extra: Partial<Parameters<HybridSender['prepareActAssertion']>[0]> = {}) =>
      sender.prepareActAssertion({ act: { sub: iam.testUser.id, email: iam.testUser.email }, agentId, apiAudience: iam.apiAudience, ...extra });

    it('an exchanged token reads as delegated: the person is sub, the agent the client', async () => {
      const identity = await verifier({ layout: 'delegated', ...agents() })((await exchanged()).accessToken);
      expect(identity.layout).toBe('delegated');
      expect(identity.agent.id).toBe(agentId);
      if (vendor === 'entraid') {
        expect(identity.human.oid).toBe(iam.testUser.id);
        expect(identity.human.id).toBe(iam.testUser.id); // oid, not the pairwise sub
        expect(identity.claims.sub).not.toBe(iam.testUser.id);
      } else {
        expect(identity.human.id).toBe(iam.testUser.id);
      }
    });

    it('the reference layout (the default) never reads an exchanged token backwards', async () => {
      const code = { keycloak: 'ERR_TOKEN_LAYOUT', auth0: 'ERR_TOKEN_LAYOUT', okta: 'ERR_TOKEN_NO_ACT', entraid: 'ERR_ACT_ASSERTION_MISSING' }[vendor];
      await refused(verifier(entraKey())((await exchanged()).accessToken), code);
    });

    it("the person's own login token is refused, even when addressed to the API", async () => {
      const own = await login(iam.apiAudience);
      const code = vendor === 'okta' || vendor === 'entraid' ? 'ERR_TOKEN_AGENT_NOT_ALLOWED' : 'ERR_TOKEN_NOT_DELEGATED';
      await refused(verifier({ layout: 'delegated', ...agents() })(own), code);
      await refused(verifier({ layout: ['act', 'delegated'], agents: [agentId], ...entraKey() })(own), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
      // As it is issued (addressed to the agent), the API refuses it for its audience already.
      await refused(verifier({ layout: 'delegated', ...agents() })(await login()), 'ERR_TOKEN_INVALID');
    });

    if (vendor === 'keycloak' || vendor === 'auth0') {
      it('with agents, a token issued to an allowed client still needs act.sub = that client', async () => {
        // The web app's login token (sub = the person, azp = the web app, no act) of an API that also lists the web app.
        const own = await login(iam.apiAudience);
        await refused(verifier({ layout: 'delegated', agents: [agentId, iam.webApp.clientId] })(own), 'ERR_TOKEN_NOT_DELEGATED');
        expect((await verifier({ layout: 'delegated', agents: [agentId, iam.webApp.clientId] })((await exchanged()).accessToken)).layout).toBe('delegated');
      });
    }

    if (vendor === 'auth0') {
      it('a namespaced actClaim (the reference layout) does not hide the act the exchange wrote', async () => {
        const actClaim = 'https://api.local.test/act';
        const token = (await exchanged()).accessToken;
        for (const layout of ['delegated', ['act', 'delegated']] as const) {
          const identity = await verifier({ layout: [...(typeof layout === 'string' ? [layout] : layout)], actClaim })(token);
          expect(identity).toMatchObject({ layout: 'delegated', agent: { id: agentId }, human: { id: iam.testUser.id } });
        }
        // The person's own login token is still refused: it carries no act.
        await refused(verifier({ layout: 'delegated', actClaim })(await login(iam.apiAudience)), 'ERR_TOKEN_NOT_DELEGATED');
      });
    }

    it("the agent's own token is refused as delegated; another agent's token is refused", async () => {
      const own = await agentOnly(await signed());
      await refused(verifier({ layout: 'delegated', ...agents() })(own.accessToken), 'ERR_TOKEN_AGENT_ONLY');
      await refused(verifier({ layout: 'delegated', agents: ['another-agent'] })((await exchanged()).accessToken), 'ERR_TOKEN_AGENT_NOT_ALLOWED');
    });

    it("the agent's own token with the application's assertion reads as 'assertion'", async () => {
      const token = await agentOnly(await signed({ agentEndpoint: 'https://agent.local.test/invoke' }));
      expect(token.actAssertion).toBeDefined();
      const verify = verifier({ layout: 'assertion', actAssertionKey: iam.app.publicKeyPem, actAssertionIssuer: 'application' });
      const identity = await verify(token.accessToken, { actAssertion: token.actAssertion });
      expect(identity).toMatchObject({ layout: 'assertion', agent: { id: agentId }, human: { id: iam.testUser.id } });
      // Both layouts at once: the exchanged token and the assertion call are each read in their own.
      const both = verifier({ layout: ['delegated', 'assertion'], actAssertionKey: iam.app.publicKeyPem, ...agents() });
      expect((await both(token.accessToken, { actAssertion: token.actAssertion })).layout).toBe('assertion');
      expect((await both((await exchanged()).accessToken)).layout).toBe('delegated');
    });

    it('refused: a forged, an expired, another agent\'s assertion; a replay with one-time use; an exchanged token with an assertion', async () => {
      const verify = verifier({ layout: 'assertion', actAssertionKey: iam.app.publicKeyPem });
      const token = (await agentOnly(await signed())).accessToken;
      const forger = new HybridSender({ privateKey: (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
      const forged = await forger.prepareActAssertion({ act: { sub: 'someone-else' }, agentId, apiAudience: iam.apiAudience });
      await refused(verify(token, { actAssertion: forged }), 'ERR_ACT_ASSERTION_INVALID');
      // Expired: this process's clock moved past the assertion's exp (no sleep; the access token lives on).
      const shortLived = await signed({ ttlSeconds: 1 });
      const strict = verifier({ layout: 'assertion', actAssertionKey: iam.app.publicKeyPem, clockToleranceSeconds: 0 });
      await strict(token, { actAssertion: await signed() }); // keys fetched before the clock moves
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(((decodeJwt(shortLived).exp as number) + 1) * 1000);
        await refused(strict(token, { actAssertion: shortLived }), 'ERR_ACT_ASSERTION_INVALID');
      } finally {
        vi.useRealTimers();
      }
      await refused(verify(token, { actAssertion: await signed({ agentId: 'another-agent' }) }), 'ERR_ACT_ASSERTION_AGENT_MISMATCH');
      const once = verifier({ layout: 'assertion', actAssertionKey: iam.app.publicKeyPem, actAssertionReplayCache: new MemoryReplayCache() });
      const assertion = await signed();
      await once(token, { actAssertion: assertion });
      await refused(once(token, { actAssertion: assertion }), 'ERR_ACT_ASSERTION_REPLAY');
      // A token that names a person already cannot take a second one from an assertion.
      await refused(verify((await exchanged()).accessToken, { actAssertion: await signed() }), 'ERR_TOKEN_LAYOUT');
    });
  });
}
