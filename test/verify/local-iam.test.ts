/**
 * End to end with real issuers: the embedded local IAM (oidc-provider over
 * HTTPS on 127.0.0.1) in each vendor profile issues dual-subject tokens to the
 * library's own adapters; the verifier checks them with the IAM's JWKS found
 * at the vendor's default location under the issuer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/adapters/index.js';
import { startLocalIam, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';
import { computeAth, createDualSubjectVerifier, type VerifyOptions } from '../../src/verify/index.js';

const VENDORS: LocalIamVendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];
const EXPECTED_ROLES: Record<LocalIamVendor, string[]> = {
  keycloak: ['FinanceAgent'],
  auth0: ['finance.read'],
  okta: ['finance.read'],
  entraid: ['FinanceAgent'],
};

for (const vendor of VENDORS) {
  describe(`local IAM (${vendor}) -> adapter -> verifier`, () => {
    let iam: LocalIam;
    beforeAll(async () => {
      iam = await startLocalIam({ vendor });
    });
    afterAll(async () => iam?.close());

    function adapter(bindAgentToken = false) {
      return createAdapter(
        {
          vendor,
          tokenUrl: iam.tokenUrl,
          clientId: iam.agent.clientId,
          clientSecret: iam.agent.clientSecret,
          audience: vendor === 'keycloak' ? undefined : iam.apiAudience,
          scope: `${iam.apiAudience}/.default`,
          appPrivateKeyPath: iam.app.privateKeyPath,
          appId: iam.app.appId,
          actAudience: iam.apiAudience,
        },
        { ca: iam.caCert, bindAgentToken },
      );
    }

    function verifierOptions(extra: Partial<VerifyOptions> = {}): VerifyOptions {
      // No jwksUri: the vendor's default JWKS path under the issuer must be right.
      return {
        vendor,
        issuer: iam.issuer,
        audience: iam.apiAudience,
        ca: iam.caCert,
        ...(vendor === 'entraid' ? { actAssertionKey: iam.app.publicKeyPem, actAssertionIssuer: iam.app.appId } : {}),
        ...extra,
      };
    }

    const act = () => ({ sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name });

    it('a real token verifies: agent and human identified', async () => {
      const token = await adapter().requestToken({ agentId: iam.agent.clientId, act: act(), scope: ['finance.read'] });
      const verify = createDualSubjectVerifier(verifierOptions({ requiredRoles: EXPECTED_ROLES[vendor] }));
      const identity = await verify(token.accessToken, { actAssertion: token.actAssertion ?? undefined });
      expect(identity.agent.id).toBe(iam.agent.clientId);
      expect(identity.agent.roles).toEqual(expect.arrayContaining(EXPECTED_ROLES[vendor]));
      expect(identity.human.id).toBe(iam.testUser.id);
      expect(identity.claims.iss).toBe(iam.issuer);
    });

    it('the same token is refused by a verifier for another audience or issuer', async () => {
      const token = await adapter().requestToken({ agentId: iam.agent.clientId, act: act(), scope: ['finance.read'] });
      const call = { actAssertion: token.actAssertion ?? undefined };
      await expect(
        createDualSubjectVerifier(verifierOptions({ audience: 'https://other-api.test', ...(vendor === 'entraid' ? { actAssertionAudience: iam.apiAudience } : {}) }))(token.accessToken, call),
      ).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
      await expect(
        createDualSubjectVerifier(verifierOptions({ issuer: [`${iam.issuer}x`], jwksUri: iam.jwksUri }))(token.accessToken, call),
      ).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
    });

    if (vendor === 'entraid') {
      it('bindAgentToken end to end: the adapter adds ath; a swapped assertion is refused', async () => {
        const first = await adapter(true).requestToken({ agentId: iam.agent.clientId, act: act(), scope: ['finance.read'] });
        const second = await adapter(true).requestToken({ agentId: iam.agent.clientId, act: { sub: 'someone-else' }, scope: ['finance.read'] });
        expect(first.actAssertion).toBeTruthy();
        const verify = createDualSubjectVerifier(verifierOptions({ bindAgentToken: true }));
        const identity = await verify(first.accessToken, { actAssertion: first.actAssertion ?? undefined });
        expect(identity.actAssertionClaims?.ath).toBe(computeAth(first.accessToken));
        await expect(verify(first.accessToken, { actAssertion: second.actAssertion ?? undefined })).rejects.toMatchObject({ code: 'ERR_ACT_ASSERTION_INVALID' });
        await expect(verify(first.accessToken)).rejects.toMatchObject({ code: 'ERR_ACT_ASSERTION_MISSING' });
      });
    } else {
      it('a real token lacking a required role -> ERR_FORBIDDEN', async () => {
        const token = await adapter().requestToken({ agentId: iam.agent.clientId, act: act(), scope: ['finance.read'] });
        await expect(
          createDualSubjectVerifier(verifierOptions({ requiredRoles: ['finance-admin'] }))(token.accessToken),
        ).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
      });
    }
  });
}
