/**
 * The local IAM, per vendor profile: discovery and JWKS over HTTPS, the real
 * adapters get tokens of the vendor's shape, and oidc-provider's client
 * authentication refuses what it must (bad secret, wrong audience, replay,
 * malformed act).
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';

import { SignJWT, createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAdapter, getConfig, HttpClient, HybridSender, InSessionTokenRequest, UserSession } from '../../src/index.js';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';
import { startLocalIam, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';

const VENDORS: LocalIamVendor[] = ['keycloak', 'auth0', 'okta', 'entraid'];
let certificates: DevCertificates;
const iams = new Map<LocalIamVendor, LocalIam>();

beforeAll(async () => {
  certificates = await createDevCertificates();
  for (const vendor of VENDORS) iams.set(vendor, await startLocalIam({ vendor, certificates }));
});

afterAll(async () => {
  await Promise.all([...iams.values()].map((iam) => iam.close()));
});

function iam(vendor: LocalIamVendor): LocalIam {
  const found = iams.get(vendor);
  if (!found) throw new Error(`local IAM ${vendor} did not start`);
  return found;
}

async function getJson(url: string): Promise<any> {
  const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(url);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body.toString('utf8'));
}

async function tokenFor(vendor: LocalIamVendor) {
  const config = await getConfig({ env: iam(vendor).env });
  const adapter = createAdapter(config, { ca: certificates.caCert, retries: 0 });
  const sender = new HybridSender();
  const act = sender.extractActFromSession(new UserSession({ userEmail: 'alice@corp.example.com', userName: 'Alice Smith', userId: 'user_12345' }));
  return new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, act, scope: ['finance.read'] });
}

/** A reference-style HS256 client assertion (as the Python adapters build it). */
async function clientAssertion(target: LocalIam, claims: { aud: string; act?: unknown; secret?: string; jti?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...(claims.act !== undefined ? { act: claims.act } : {}), jti: claims.jti ?? randomBytes(32).toString('base64url') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(target.agent.clientId)
    .setSubject(target.agent.clientId)
    .setAudience(claims.aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(new TextEncoder().encode(claims.secret ?? target.agent.clientSecret));
}

async function postToken(target: LocalIam, form: Record<string, string>): Promise<{ status: number; body: any }> {
  const answer = await new HttpClient({ ca: certificates.caCert, retries: 0 }).request(target.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    retry: false,
  });
  return { status: answer.status, body: JSON.parse(answer.body.toString('utf8')) };
}

describe.each(VENDORS)('local IAM, %s profile', (vendor) => {
  it('serves the discovery document and JWKS over HTTPS at the vendor paths', async () => {
    const target = iam(vendor);
    const discovery = await getJson(target.discoveryUrl);
    expect(discovery.issuer).toBe(target.issuer);
    expect(discovery.token_endpoint).toBe(target.tokenUrl);
    expect(discovery.jwks_uri).toBe(target.jwksUri);
    const jwks = await getJson(target.jwksUri);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0].d).toBeUndefined();
    const paths: Record<LocalIamVendor, RegExp> = {
      keycloak: /\/realms\/[^/]+\/protocol\/openid-connect\/token$/,
      auth0: /^https:\/\/127\.0\.0\.1:\d+\/oauth\/token$/,
      okta: /\/oauth2\/[^/]+\/v1\/token$/,
      entraid: /^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/oauth2\/v2\.0\/token$/,
    };
    expect(target.tokenUrl).toMatch(paths[vendor]);
  });

  it('issues an RS256 access token of the vendor shape to the real adapter', async () => {
    const target = iam(vendor);
    const token = await tokenFor(vendor);
    const jwks = (await getJson(target.jwksUri)) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(token.accessToken, createLocalJWKSet(jwks), {
      issuer: target.issuer,
      audience: target.apiAudience,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(typeof payload.exp).toBe('number');
    const agent = target.agent.clientId;
    switch (vendor) {
      case 'keycloak':
        expect(payload).toMatchObject({ azp: agent, realm_access: { roles: expect.arrayContaining(['FinanceAgent']) }, scope: 'finance.read' });
        expect(payload.act).toEqual({ sub: 'user_12345', email: 'alice@corp.example.com', name: 'Alice Smith' });
        expect(token.expiresIn).toBe(300);
        break;
      case 'auth0':
        expect(payload).toMatchObject({ azp: agent, sub: `${agent}@clients`, permissions: ['finance.read'] });
        expect(payload.act).toMatchObject({ sub: 'user_12345' });
        expect(target.issuer.endsWith('/')).toBe(true);
        break;
      case 'okta':
        expect(payload).toMatchObject({ cid: agent, scp: ['finance.read'] });
        expect(payload.act).toMatchObject({ sub: 'user_12345' });
        break;
      case 'entraid':
        expect(payload).toMatchObject({ azp: agent, appid: agent, roles: ['FinanceAgent'], ver: '2.0' });
        expect(payload.act).toBeUndefined();
        expect(token.actAssertion).toBeDefined();
        expect(decodeJwt(token.actAssertion as string)).toMatchObject({ iss: target.app.appId, aud: target.apiAudience, act: { sub: 'user_12345' } });
        break;
    }
  });

  it('refuses a wrong client secret with 401 invalid_client', async () => {
    const target = iam(vendor);
    const form: Record<string, string> = vendor === 'entraid'
      ? { grant_type: 'client_credentials', client_id: target.agent.clientId, client_secret: 'wrong-secret-value-0123456789', scope: `${target.apiAudience}/.default` }
      : {
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: await clientAssertion(target, { aud: target.issuer, act: { sub: 'u1' }, secret: 'another-secret-of-enough-length-0123456789' }),
          ...(vendor === 'auth0' ? { audience: target.apiAudience } : { scope: 'finance.read' }),
        };
    const before = target.tokenRequestCount();
    const { status, body } = await postToken(target, form);
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
    // Counted too: tokenRequestCount() counts requests received, answered or not.
    expect(target.tokenRequestCount()).toBe(before + 1);
    await getJson(target.jwksUri);
    expect(target.tokenRequestCount()).toBe(before + 1);
  });

  it('writes the app key pair with the private key mode 0600 and exposes the getConfig variables', async () => {
    const target = iam(vendor);
    expect(statSync(target.app.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(target.env.DUAL_AUTH_VENDOR).toBe(vendor);
    expect(target.env[`${vendor.toUpperCase()}_TOKEN_URL`]).toBe(target.tokenUrl);
    expect(target.env.NODE_EXTRA_CA_CERTS).toBe(target.caCertPath);
    const config = await getConfig({ env: target.env });
    expect(config.vendor).toBe(vendor);
    expect(config.tokenUrl).toBe(target.tokenUrl);
  });
});

describe('client assertion audiences and act (oidc-provider client_secret_jwt)', () => {
  const base = (target: LocalIam) => ({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    scope: 'finance.read',
  });

  it('keycloak: the realm URL (the reference) is accepted, another audience is refused', async () => {
    const target = iam('keycloak');
    const realmUrl = target.tokenUrl.split('/protocol/')[0] as string;
    const ok = await postToken(target, { ...base(target), client_assertion: await clientAssertion(target, { aud: realmUrl, act: { sub: 'u1' } }) });
    expect(ok.status).toBe(200);
    const bad = await postToken(target, { ...base(target), client_assertion: await clientAssertion(target, { aud: 'https://elsewhere.example.com', act: { sub: 'u1' } }) });
    expect(bad.status).toBe(401);
  });

  it('okta: both the authorization server URL (reference) and the token URL (Okta docs) are accepted', async () => {
    const target = iam('okta');
    for (const aud of [target.issuer, target.tokenUrl]) {
      const answer = await postToken(target, { ...base(target), client_assertion: await clientAssertion(target, { aud, act: { sub: 'u1' } }) });
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.body.access_token).act).toEqual({ sub: 'u1' });
    }
  });

  it('auth0: the tenant URL with a trailing slash is accepted and the audience form field is required', async () => {
    const target = iam('auth0');
    const aud = `${target.tokenUrl.split('/oauth/')[0]}/`;
    const form = { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_id: target.agent.clientId };
    const ok = await postToken(target, { ...form, audience: target.apiAudience, client_assertion: await clientAssertion(target, { aud, act: { sub: 'u1' } }) });
    expect(ok.status).toBe(200);
    const none = await postToken(target, { ...form, client_assertion: await clientAssertion(target, { aud, act: { sub: 'u1' } }) });
    expect(none.status).toBe(400);
    const unknown = await postToken(target, { ...form, audience: 'https://other.example.com', client_assertion: await clientAssertion(target, { aud, act: { sub: 'u1' } }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_target');
  });

  it('a replayed client assertion (same jti) is refused', async () => {
    const target = iam('keycloak');
    const assertion = await clientAssertion(target, { aud: target.issuer, act: { sub: 'u1' } });
    expect((await postToken(target, { ...base(target), client_assertion: assertion })).status).toBe(200);
    const replay = await postToken(target, { ...base(target), client_assertion: assertion });
    expect(replay.status).toBe(401);
  });

  it('an act that is not an object with a sub is refused; no act gives a token without act', async () => {
    const target = iam('keycloak');
    for (const act of ['user', { email: 'x@example.com' }, { sub: '' }, ['u1']]) {
      const answer = await postToken(target, { ...base(target), client_assertion: await clientAssertion(target, { aud: target.issuer, act }) });
      expect(answer.status).toBe(401);
    }
    const plain = await postToken(target, { ...base(target), client_assertion: await clientAssertion(target, { aud: target.issuer }) });
    expect(plain.status).toBe(200);
    expect(decodeJwt(plain.body.access_token).act).toBeUndefined();
  });

  it("an act naming the agent itself is not copied (the agent's own token would read as delegation)", async () => {
    const target = iam('keycloak');
    const answer = await postToken(target, { ...base(target), client_assertion: await clientAssertion(target, { aud: target.issuer, act: { sub: target.agent.clientId } }) });
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token).act).toBeUndefined();
  });

  it('entraid: a scope without /.default is refused', async () => {
    const target = iam('entraid');
    const answer = await postToken(target, {
      grant_type: 'client_credentials',
      client_id: target.agent.clientId,
      client_secret: target.agent.clientSecret,
      scope: 'finance.read',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_scope');
  });
});

describe('startLocalIam options', () => {
  it('refuses an unknown vendor with a DualAuthError', async () => {
    await expect(startLocalIam({ vendor: 'ping' as LocalIamVendor })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('honours accessTokenTtlSeconds and removes its temp files on close', async () => {
    const target = await startLocalIam({ vendor: 'okta', certificates, accessTokenTtlSeconds: 42 });
    try {
      const config = await getConfig({ env: target.env });
      const token = await createAdapter(config, { ca: certificates.caCert, retries: 0 }).requestToken({ agentId: config.clientId, act: { sub: 'u1' }, scope: ['finance.read'] });
      expect(token.expiresIn).toBe(42);
      const claims = decodeJwt(token.accessToken);
      expect((claims.exp as number) - (claims.iat as number)).toBe(42);
    } finally {
      await target.close();
    }
    expect(() => statSync(target.caCertPath)).toThrow();
  });
});

describe('optional packages', () => {
  it('a missing optional package is a DualAuthError that names what to install', async () => {
    const { loadOptional } = await import('../../src/local-iam/optional.js');
    const failure = await loadOptional('dual-auth-no-such-package', 'The local IAM').catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ERR_DEPENDENCY_MISSING' });
    expect((failure as Error).message).toBe('The local IAM requires dual-auth-no-such-package. Install with: npm install dual-auth-no-such-package');
  });
});
