/**
 * The local IAM's exchange grant, per vendor profile, driven by the real adapters with
 * delegation 'token-exchange': the person's login token (issued to the web app, addressed
 * to the agent) becomes a token in the vendor's delegated shape, signed with the key the
 * IAM publishes; tampered, expired, unaddressed and non-person subject tokens are refused
 * with the vendor's error code, and the subject token reaches no log line.
 */
import { SignJWT, createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAdapter, getConfig, HttpClient, InSessionTokenRequest, TokenRequestError, UserSession, type BaseAdapter } from '../../src/index.js';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';
import { startLocalIam, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';

const VENDORS: LocalIamVendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];
const USER_ID = 'user_12345';
let certificates: DevCertificates;
const iams = new Map<LocalIamVendor, LocalIam>();
const iamLogs = new Map<LocalIamVendor, string[]>();

beforeAll(async () => {
  certificates = await createDevCertificates();
  for (const vendor of VENDORS) {
    const logger = auditLogger();
    iamLogs.set(vendor, logger.lines);
    iams.set(vendor, await startLocalIam({ vendor, certificates, logger }));
  }
});

afterAll(async () => {
  await Promise.all([...iams.values()].map((iam) => iam.close()));
});

function iam(vendor: LocalIamVendor): LocalIam {
  const found = iams.get(vendor);
  if (!found) throw new Error(`local IAM ${vendor} did not start`);
  return found;
}

async function exchanging(vendor: LocalIamVendor): Promise<{ adapter: BaseAdapter; agentId: string }> {
  const config = await getConfig({ env: iam(vendor).env });
  return { adapter: createAdapter(config, { ca: certificates.caCert, retries: 0, delegation: 'token-exchange', logger: auditLogger() }), agentId: config.clientId };
}

async function login(vendor: LocalIamVendor, options?: Parameters<LocalIam['issueLoginToken']>[0]): Promise<string> {
  const token = await iam(vendor).issueLoginToken(options);
  markSensitive(token);
  return token;
}

async function verifyWithJwks(vendor: LocalIamVendor, token: string, audience: string) {
  const target = iam(vendor);
  const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(target.jwksUri);
  const jwks = JSON.parse(answer.body.toString('utf8')) as JSONWebKeySet;
  return (await jwtVerify(token, createLocalJWKSet(jwks), { issuer: target.issuer, audience, algorithms: ['RS256'] })).payload;
}

async function refusal(vendor: LocalIamVendor, subjectToken: string): Promise<TokenRequestError> {
  const { adapter, agentId } = await exchanging(vendor);
  const error = await rejection(adapter.requestToken({ agentId, scope: ['finance.read'], subjectToken }));
  expect(error).toBeInstanceOf(TokenRequestError);
  return error as TokenRequestError;
}

describe.each(VENDORS)('local IAM token exchange, %s profile', (vendor) => {
  it("the person's login token: issued to the web app, addressed to the agent, no act, signed by the IAM", async () => {
    const target = iam(vendor);
    const expectedAudience = { keycloak: 'finance-agent', auth0: 'https://agents.local.test/finance-agent', okta: 'api://finance-agent', entraid: 'finance-agent' }[vendor];
    const claims = await verifyWithJwks(vendor, await login(vendor), expectedAudience);
    expect(target.webApp.clientId).toBe('finance-web-app');
    expect(target.webApp.clientId).not.toBe(target.agent.clientId);
    expect(claims.act).toBeUndefined();
    const client = { keycloak: claims.azp, auth0: claims.azp, okta: claims.cid, entraid: claims.azp }[vendor];
    expect(client).toBe('finance-web-app');
    expect(vendor === 'entraid' ? claims.oid : claims.sub).toBe(USER_ID);
  });

  it('the exchanged token, in the vendor shape: the person is the subject, the agent the client', async () => {
    const target = iam(vendor);
    const { adapter, agentId } = await exchanging(vendor);
    const token = await adapter.requestToken({ agentId, scope: ['finance.read'], subjectToken: await login(vendor) });
    markSensitive(token.accessToken);
    const claims = await verifyWithJwks(vendor, token.accessToken, target.apiAudience);
    expect(vendor === 'entraid' ? claims.oid : claims.sub).toBe(USER_ID);
    expect(token.actAssertion).toBeUndefined();
    switch (vendor) {
      case 'keycloak':
        expect(claims).toMatchObject({ azp: agentId, act: { sub: agentId }, scope: 'finance.read', realm_access: { roles: ['FinanceUser'] } });
        break;
      case 'auth0':
        expect(claims).toMatchObject({ azp: agentId, act: { sub: agentId }, scope: 'finance.read', permissions: ['finance.read'] });
        break;
      case 'okta':
        expect(claims).toMatchObject({ cid: agentId, uid: USER_ID, scp: ['finance.read'] });
        expect(claims.act).toBeUndefined();
        break;
      case 'entraid':
        expect(claims).toMatchObject({ oid: USER_ID, azp: agentId, appid: agentId, scp: 'finance.read', ver: '2.0' });
        // A person's sub is pairwise (per application), unlike an app-only token's sub = oid.
        expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(claims.sub).not.toBe(claims.oid);
        expect(claims.roles).toBeUndefined(); // On-Behalf-Of: delegated scopes, no application roles
        expect(claims.act).toBeUndefined();
        expect(token.scope).toBe(`${target.apiAudience}/finance.read`);
        break;
    }
    // The subject token is in no log line of the IAM or the adapter (the log audit checks all of them too).
    expect(iamLogs.get(vendor)!.some((line) => line.includes('"grant":"exchange"'))).toBe(true);
  });

  it('in session, through UserSession: the same token', async () => {
    const { adapter, agentId } = await exchanging(vendor);
    const session = new UserSession({ userEmail: iam(vendor).testUser.email, userId: USER_ID, subjectToken: await login(vendor) });
    const token = await new InSessionTokenRequest(adapter).requestToken({ agentId, scope: ['finance.read'], subjectToken: session.subjectToken });
    markSensitive(token.accessToken);
    const claims = decodeJwt(token.accessToken);
    expect(vendor === 'entraid' ? claims.oid : claims.sub).toBe(USER_ID);
  });

  it('a tampered subject token is refused with the vendor code', async () => {
    const token = await login(vendor);
    const [header, payload, signature] = token.split('.');
    const forged = [header, Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'someone-else', oid: 'someone-else' })).toString('base64url'), signature].join('.');
    markSensitive(forged);
    const error = await refusal(vendor, forged);
    expect(error.statusCode).toBe(400);
    expect(error.iamError).toBe(vendor === 'keycloak' ? 'invalid_request' : 'invalid_grant');
  });

  it('an expired subject token is refused', async () => {
    const token = await login(vendor, { ttlSeconds: 1 });
    const { exp } = decodeJwt(token) as { exp: number };
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (exp + 1) * 1000 - Date.now()) + 100));
    const error = await refusal(vendor, token);
    expect(error.iamError).toBe(vendor === 'keycloak' ? 'invalid_request' : 'invalid_grant');
  });

  it('a token not addressed to the agent (another client\'s) is refused', async () => {
    const error = await refusal(vendor, await login(vendor, { audience: 'https://another-app.local.test' }));
    if (vendor === 'keycloak') {
      expect(error.statusCode).toBe(403);
      expect(error.iamError).toBe('access_denied');
    } else {
      expect(error.iamError).toBe('invalid_grant');
    }
  });

  it("a token of another issuer (signed with another key) is refused", async () => {
    const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const claims = decodeJwt(await login(vendor));
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
    markSensitive(foreign);
    const error = await refusal(vendor, foreign);
    expect(error.iamError).toBe(vendor === 'keycloak' ? 'invalid_request' : 'invalid_grant');
  });

  it("the agent's own client-credentials token names no person: refused", async () => {
    const config = await getConfig({ env: iam(vendor).env });
    const own = await createAdapter(config, { ca: certificates.caCert }).requestToken({ agentId: config.clientId, act: { sub: USER_ID }, scope: ['finance.read'] });
    markSensitive(own.accessToken, own.actAssertion);
    const error = await refusal(vendor, own.accessToken);
    expect(error.iamError).toBe('invalid_grant');
    expect(error.iamErrorDescription).toBe('subject token does not name a user');
  });
});

describe("the vendors' request checks", () => {
  async function post(vendor: LocalIamVendor, form: Record<string, string>) {
    const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(iam(vendor).tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      retry: false,
    });
    return { status: answer.status, body: JSON.parse(answer.body.toString('utf8')) as Record<string, string> };
  }

  it("Entra ID: On-Behalf-Of needs requested_token_use=on_behalf_of and the API's .default scope", async () => {
    const target = iam('entraid');
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', client_id: target.agent.clientId, client_secret: target.agent.clientSecret, assertion: await login('entraid') };
    expect((await post('entraid', { ...form, scope: `${target.apiAudience}/.default` })).body.error).toBe('invalid_request');
    expect((await post('entraid', { ...form, scope: 'finance.read', requested_token_use: 'on_behalf_of' })).body.error).toBe('invalid_scope');
    expect((await post('entraid', { ...form, scope: `${target.apiAudience}/.default`, requested_token_use: 'on_behalf_of' })).status).toBe(200);
  });

  it('Auth0 and Okta: the API audience is required; Keycloak: unknown scopes are refused with its text', async () => {
    for (const vendor of ['auth0', 'okta'] as const) {
      const { adapter, agentId } = await exchanging(vendor);
      const wrong = createAdapter({ ...(await getConfig({ env: iam(vendor).env })), audience: 'https://other-api.local.test' }, { ca: certificates.caCert, delegation: 'token-exchange' });
      const error = (await rejection(wrong.requestToken({ agentId, scope: ['finance.read'], subjectToken: await login(vendor) }))) as TokenRequestError;
      expect(error.iamError).toBe('invalid_target');
      expect(adapter.delegation).toBe('token-exchange');
    }
    const { adapter, agentId } = await exchanging('keycloak');
    const error = (await rejection(adapter.requestToken({ agentId, scope: ['finance.admin'], subjectToken: await login('keycloak') }))) as TokenRequestError;
    expect(error.iamError).toBe('invalid_scope');
    expect(error.iamErrorDescription).toBe('Invalid scopes: finance.admin');
  });

  it('an exchange request without a subject token or with an ID token type is refused', async () => {
    const target = iam('okta');
    const { adapter, agentId } = await exchanging('okta');
    const idType = (await rejection(
      adapter.requestToken({ agentId, scope: ['finance.read'], subjectToken: await login('okta'), subjectTokenType: 'urn:ietf:params:oauth:token-type:id_token' }),
    )) as TokenRequestError;
    expect(idType.iamError).toBe('invalid_request');
    const entra = iam('entraid');
    const missing = await post('entraid', {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: entra.agent.clientId,
      client_secret: entra.agent.clientSecret,
      scope: `${entra.apiAudience}/.default`,
      requested_token_use: 'on_behalf_of',
    });
    expect(missing.body).toEqual({ error: 'invalid_request', error_description: 'assertion is required' });
    expect(target.agent.clientId).toBe(agentId);
  });

  it('issueLoginToken checks its options', async () => {
    await expect(iam('keycloak').issueLoginToken({ ttlSeconds: 0 })).rejects.toMatchObject({ code: 'ERR_CONFIGURATION' });
    await expect(iam('keycloak').issueLoginToken({ audience: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
