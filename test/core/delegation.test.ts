/**
 * The agent side of delegation 'token-exchange' and 'assertion' (issue 11), against a real
 * HTTPS server that records every request: each vendor's exchange request byte for byte, the
 * client authentication it keeps, IAM refusals (never retried), inputs checked before any I/O,
 * the person's token in no log line and no message, and the token cache keyed per person.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth0Adapter,
  EntraIDAdapter,
  InSessionAPICall,
  InSessionTokenRequest,
  KeycloakAdapter,
  OktaAdapter,
  OutOfSessionTokenRequest,
  TokenRequestError,
  UserSession,
  createAdapter,
  getConfig,
  tokenCacheKey,
} from '../../src/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { decodeJwt, json, startTestServer, type TestServer } from '../helpers/https-server.js';
import { malleatedCopies } from '../helpers/malleate.js';

const SECRET = `client-secret-${randomBytes(8).toString('hex')}`;
/** A person's own token: a JWT-shaped value, sensitive like any token. */
const SUBJECT = fakeJwt('person');
const OTHER_SUBJECT = fakeJwt('other-person');
const ASSERTION = fakeJwt('application-assertion');
markSensitive(SECRET, SUBJECT, OTHER_SUBJECT, ASSERTION);

const ENCODED = {
  exchange: 'urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange',
  jwtBearer: 'urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer',
  accessToken: 'urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token',
  assertionType: 'urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer',
};

const dir = mkdtempSync(join(tmpdir(), 'dual-auth-delegation-'));
const appKeyPath = join(dir, 'app-private.pem');
writeFileSync(appKeyPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });

let server: TestServer;
let issued = 0;

function issueToken(extra: Record<string, unknown> = {}) {
  return (_req: unknown, res: Parameters<typeof json>[0]) => {
    const accessToken = `at-${++issued}-${randomBytes(12).toString('hex')}`;
    markSensitive(accessToken);
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, ...extra });
  };
}

beforeAll(async () => {
  server = await startTestServer(issueToken());
});
afterAll(() => server.close());

const options = (delegation: 'token-exchange' | 'assertion', logger = auditLogger()) => ({ ca: server.caCert, backoffMs: 1, retries: 2, logger, delegation });

function keycloak(delegation: 'token-exchange' | 'assertion' = 'token-exchange', logger = auditLogger()) {
  return new KeycloakAdapter({ tokenUrl: server.url('/realms/finance/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET }, options(delegation, logger));
}
function auth0(delegation: 'token-exchange' | 'assertion' = 'token-exchange') {
  return new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'm2m-agent', clientSecret: SECRET, audience: 'https://api.example.com' }, options(delegation));
}
function okta(delegation: 'token-exchange' | 'assertion' = 'token-exchange') {
  return new OktaAdapter({ tokenUrl: server.url('/oauth2/aus123abc/v1/token'), clientId: 'okta-agent', clientSecret: SECRET, audience: 'api://default' }, options(delegation));
}
/** No application key, no APP_ID, no act audience: the agent in these modes holds none. */
function entraid(delegation: 'token-exchange' | 'assertion' = 'token-exchange') {
  return new EntraIDAdapter(
    { tokenUrl: server.url('/tenant-id/oauth2/v2.0/token'), clientId: 'entra-agent', clientSecret: SECRET, scope: 'https://api.example.com/.default' },
    options(delegation),
  );
}

/** The last request's raw body, and its client assertion (verified with the client secret). */
async function lastRequest() {
  const request = server.requests.at(-1)!;
  const assertion = /(?:^|&)client_assertion=([^&]*)/.exec(request.body)?.[1];
  markSensitive(assertion);
  const claims = assertion ? (await jwtVerify(assertion, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] })).payload : undefined;
  return { request, body: request.body, assertion, claims };
}

describe("delegation 'token-exchange': each vendor's documented request, byte for byte", () => {
  it('Keycloak: standard token exchange, access token in and out, the client assertion without act', async () => {
    server.handle(issueToken({ issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'finance.read' }));
    const token = await keycloak().requestToken({ agentId: 'finance-agent', scope: ['finance.read', 'finance.write'], subjectToken: SUBJECT });
    const { request, body, assertion, claims } = await lastRequest();
    expect(request.url).toBe('/realms/finance/protocol/openid-connect/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.accept).toBe('application/json');
    expect(body).toBe(
      `grant_type=${ENCODED.exchange}&subject_token=${SUBJECT}&subject_token_type=${ENCODED.accessToken}` +
        `&requested_token_type=${ENCODED.accessToken}&scope=finance.read+finance.write` +
        `&client_assertion_type=${ENCODED.assertionType}&client_assertion=${assertion}`,
    );
    expect(Object.keys(claims!)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti']); // no act: the person comes from the subject token
    expect(claims).toMatchObject({ iss: 'finance-agent', sub: 'finance-agent', aud: server.url('/realms/finance') });
    expect(token.scope).toBe('finance.read');
    expect(token.actAssertion).toBeUndefined();
  });

  it('Keycloak: no scope asked, no scope field', async () => {
    server.handle(issueToken());
    await keycloak().requestToken({ agentId: 'finance-agent', scope: [], subjectToken: SUBJECT });
    const { body, assertion } = await lastRequest();
    expect(body).toBe(
      `grant_type=${ENCODED.exchange}&subject_token=${SUBJECT}&subject_token_type=${ENCODED.accessToken}` +
        `&requested_token_type=${ENCODED.accessToken}&client_assertion_type=${ENCODED.assertionType}&client_assertion=${assertion}`,
    );
  });

  it('Auth0: On-Behalf-Of token exchange with client_id and the API as audience', async () => {
    server.handle(issueToken());
    await auth0().requestToken({ agentId: 'm2m-agent', scope: ['read:reports'], subjectToken: SUBJECT });
    const { body, assertion, claims } = await lastRequest();
    expect(body).toBe(
      `grant_type=${ENCODED.exchange}&client_id=m2m-agent&subject_token=${SUBJECT}&subject_token_type=${ENCODED.accessToken}` +
        `&audience=https%3A%2F%2Fapi.example.com&scope=read%3Areports&client_assertion_type=${ENCODED.assertionType}&client_assertion=${assertion}`,
    );
    expect(claims).toMatchObject({ iss: 'm2m-agent', aud: server.url('/') });
    expect(claims).not.toHaveProperty('act');
  });

  it('Auth0: Custom Token Exchange is the same request with a subject token type of your own namespace', async () => {
    server.handle(issueToken());
    await auth0().requestToken({ agentId: 'm2m-agent', scope: [], subjectToken: SUBJECT, subjectTokenType: 'urn:acme:session-token' });
    const { body, assertion } = await lastRequest();
    expect(body).toBe(
      `grant_type=${ENCODED.exchange}&client_id=m2m-agent&subject_token=${SUBJECT}&subject_token_type=urn%3Aacme%3Asession-token` +
        `&audience=https%3A%2F%2Fapi.example.com&client_assertion_type=${ENCODED.assertionType}&client_assertion=${assertion}`,
    );
  });

  it('Okta: On-Behalf-Of token exchange with the authorization server audience and scopes', async () => {
    server.handle(issueToken());
    await okta().requestToken({ agentId: 'okta-agent', scope: 'finance.read', subjectToken: SUBJECT });
    const { body, assertion, claims } = await lastRequest();
    expect(body).toBe(
      `grant_type=${ENCODED.exchange}&subject_token=${SUBJECT}&subject_token_type=${ENCODED.accessToken}` +
        `&audience=api%3A%2F%2Fdefault&scope=finance.read&client_assertion_type=${ENCODED.assertionType}&client_assertion=${assertion}`,
    );
    expect(claims).toMatchObject({ iss: 'okta-agent', aud: server.url('/oauth2/aus123abc') });
    expect(claims).not.toHaveProperty('act');
  });

  it('Entra ID: On-Behalf-Of (jwt-bearer, assertion, requested_token_use), client_secret_post, no application key', async () => {
    server.handle(issueToken());
    const token = await entraid().requestToken({ agentId: 'entra-agent', scope: ['ignored'], subjectToken: SUBJECT });
    const { request, body } = await lastRequest();
    expect(request.headers.accept).toBe('*/*');
    expect(body).toBe(
      `grant_type=${ENCODED.jwtBearer}&client_id=entra-agent&client_secret=${SECRET}&assertion=${SUBJECT}` +
        `&scope=https%3A%2F%2Fapi.example.com%2F.default&requested_token_use=on_behalf_of`,
    );
    expect(token.actAssertion).toBeUndefined(); // the person is in the token itself
    expect(token.scope).toBe('https://api.example.com/.default');
  });

  it('Entra ID refuses, before any request, a subject token that is not an access token', async () => {
    const before = server.requests.length;
    const error = await rejection(entraid().requestToken({ agentId: 'entra-agent', scope: [], subjectToken: SUBJECT, subjectTokenType: 'urn:ietf:params:oauth:token-type:id_token' }));
    expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(error.message).toBe('EntraID token exchange takes an access token only (subjectTokenType urn:ietf:params:oauth:token-type:access_token)');
    expect(server.requests.length).toBe(before);
  });

  it('createAdapter passes the option; a private-key client (private_key_jwt) keeps its own client authentication', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    server.handle(issueToken());
    const adapter = createAdapter(
      { vendor: 'keycloak', tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'pk-agent' },
      { ca: server.caCert, delegation: 'token-exchange', privateKeyJwt: { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, alg: 'ES256', kid: 'k1' } },
    );
    expect(adapter.delegation).toBe('token-exchange');
    await adapter.requestToken({ agentId: 'pk-agent', scope: [], subjectToken: SUBJECT });
    const assertion = /client_assertion=([^&]*)/.exec(server.requests.at(-1)!.body)![1]!;
    markSensitive(assertion);
    const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, { algorithms: ['ES256'] });
    expect(protectedHeader.kid).toBe('k1');
    expect(payload).not.toHaveProperty('act');
  });
});

describe('IAM refusals of an exchange', () => {
  it('invalid_grant is a TokenRequestError with the IAM code, tried once, and the person\'s token is in no log line or message', async () => {
    server.handle((_req, res) => json(res, 400, { error: 'invalid_grant', error_description: 'subject token expired' }));
    const logger = auditLogger();
    const before = server.requests.length;
    const error = (await rejection(keycloak('token-exchange', logger).requestToken({ agentId: 'finance-agent', scope: ['finance.read'], subjectToken: SUBJECT }))) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.statusCode).toBe(400);
    expect(error.iamError).toBe('invalid_grant');
    expect(error.iamErrorDescription).toBe('subject token expired');
    expect(error.message).toBe('Keycloak refused the token exchange (HTTP 400): invalid_grant');
    expect(server.requests.length - before).toBe(1); // a refusal is final: no retry
    expect(logger.lines.join('\n')).not.toContain(SUBJECT.slice(0, 40));
    expect(logger.lines.some((line) => line.includes('"delegation":"token-exchange"') && line.includes('urn:ietf:params:oauth:token-type:access_token'))).toBe(true);
  });

  it.each([
    [401, 'unauthorized_client'],
    [403, 'access_denied'],
    [400, 'invalid_target'],
  ])('HTTP %i %s: refused once, with the code', async (status, code) => {
    server.handle((_req, res) => json(res, status, { error: code }));
    const before = server.requests.length;
    const error = (await rejection(okta().requestToken({ agentId: 'okta-agent', scope: ['finance.read'], subjectToken: SUBJECT }))) as TokenRequestError;
    expect(error.iamError).toBe(code);
    expect(error.message).toBe(`Okta refused the token exchange (HTTP ${status}): ${code}`);
    expect(server.requests.length - before).toBe(1);
  });

  it('a 503 is transient: retried, and each attempt carries a fresh client assertion and the same subject token', async () => {
    let calls = 0;
    server.handle((req, res) => (++calls === 1 ? json(res, 503, { error: 'temporarily_unavailable' }) : issueToken()(req, res)));
    const before = server.requests.length;
    await auth0().requestToken({ agentId: 'm2m-agent', scope: [], subjectToken: SUBJECT });
    const attempts = server.requests.slice(before);
    expect(attempts).toHaveLength(2);
    const assertions = attempts.map((r) => /client_assertion=([^&]*)/.exec(r.body)![1]);
    markSensitive(...assertions);
    expect(assertions[0]).not.toBe(assertions[1]);
    expect(attempts.every((r) => r.body.includes(`subject_token=${SUBJECT}&`))).toBe(true);
  });
});

describe('inputs, checked before any request', () => {
  it('token exchange needs the subject token; its type must be a URI; the token is never echoed', async () => {
    const before = server.requests.length;
    const missing = await rejection(keycloak().requestToken({ agentId: 'finance-agent', scope: [] }));
    expect(missing.message).toBe("subjectToken (the person's own token) is required with delegation 'token-exchange'");
    const spaced = await rejection(keycloak().requestToken({ agentId: 'finance-agent', scope: [], subjectToken: `${SUBJECT} x` }));
    expect(spaced.message).toBe('subjectToken must be one token without whitespace, at most 16384 characters');
    expect(spaced.message).not.toContain(SUBJECT);
    const badType = await rejection(keycloak().requestToken({ agentId: 'finance-agent', scope: [], subjectToken: SUBJECT, subjectTokenType: 'access token' }));
    expect(badType.message).toBe('subjectTokenType must be a token type URI, e.g. urn:ietf:params:oauth:token-type:access_token');
    for (const error of [missing, spaced, badType]) expect(error.code).toBe('ERR_INVALID_ARGUMENT');
    expect(server.requests.length).toBe(before);
  });

  it("an act, optional in these modes, is still checked, and is never sent", async () => {
    server.handle(issueToken());
    const error = await rejection(keycloak().requestToken({ agentId: 'finance-agent', scope: [], subjectToken: SUBJECT, act: { email: 'x@example.com' } as never }));
    expect(error.code).toBe('ERR_INVALID_ACT');
    await keycloak().requestToken({ agentId: 'finance-agent', scope: [], subjectToken: SUBJECT, act: { sub: 'claimed-person' } });
    const { body, claims } = await lastRequest();
    expect(body).not.toContain('claimed-person');
    expect(claims).not.toHaveProperty('act');
  });

  it('a parameter of another mode is refused rather than dropped', async () => {
    const act = { sub: 'user-1' };
    const reference = new KeycloakAdapter({ tokenUrl: server.url('/t'), clientId: 'a', clientSecret: SECRET }, { ca: server.caCert });
    expect((await rejection(reference.requestToken({ agentId: 'a', act, scope: [], subjectToken: SUBJECT }))).message).toBe(
      "subjectToken not used with delegation 'act': create the adapter with the matching delegation",
    );
    expect((await rejection(keycloak().requestToken({ agentId: 'a', scope: [], subjectToken: SUBJECT, actAssertion: ASSERTION }))).message).toBe(
      "actAssertion not used with delegation 'token-exchange': create the adapter with the matching delegation",
    );
    expect((await rejection(keycloak('assertion').requestToken({ agentId: 'a', scope: [], actAssertion: ASSERTION, subjectToken: SUBJECT }))).message).toBe(
      "subjectToken not used with delegation 'assertion': create the adapter with the matching delegation",
    );
  });

  it('an unknown delegation is a configuration error', () => {
    const error = thrown(() => new KeycloakAdapter({ tokenUrl: server.url('/t'), clientId: 'a', clientSecret: SECRET }, { delegation: 'impersonation' as never }));
    expect(error.code).toBe('ERR_CONFIGURATION');
    expect(error.message).toBe('Invalid delegation: must be one of: act, token-exchange, assertion');
  });

  it('getConfig for an EntraID agent in these modes reads no application key, APP_ID or API_AUDIENCE', async () => {
    const env = {
      DUAL_AUTH_VENDOR: 'entraid',
      API_SCOPE: 'https://api.example.com/.default',
      ENTRAID_TOKEN_URL: server.url('/tenant-id/oauth2/v2.0/token'),
      AGENT_CLIENT_ID: 'entra-agent',
      AGENT_CLIENT_SECRET: SECRET,
    };
    const config = await getConfig({ env, delegation: 'assertion' });
    expect(config).toMatchObject({ vendor: 'entraid', scope: 'https://api.example.com/.default', clientId: 'entra-agent' });
    expect(config).not.toHaveProperty('appPrivateKeyPath');
    server.handle(issueToken());
    const token = await createAdapter(config, { ca: server.caCert, delegation: 'assertion' }).requestToken({ agentId: 'entra-agent', scope: [], actAssertion: ASSERTION });
    expect(token.actAssertion).toBe(ASSERTION);
    // The reference mode still needs them, with its Python text.
    expect((await rejection(getConfig({ env }))).message).toContain("'APP_PRIVATE_KEY_PATH' is required");
    expect((await rejection(getConfig({ env, delegation: 'sideways' as never }))).code).toBe('ERR_CONFIGURATION');
  });

  it('Entra ID in the reference mode still requires the application key and its fields', () => {
    const error = thrown(() => new EntraIDAdapter({ tokenUrl: server.url('/t/oauth2/v2.0/token'), clientId: 'a', clientSecret: SECRET, scope: 's/.default' }));
    expect(error.message).toBe('EntraID adapter requires: app_private_key_path, app_id, act_audience');
    expect(thrown(() => new EntraIDAdapter({ tokenUrl: server.url('/t/oauth2/v2.0/token'), clientId: 'a', clientSecret: SECRET }, { delegation: 'assertion' })).message).toBe(
      'EntraID adapter requires: scope',
    );
  });

  it('Okta assertionAudience and privateKeyJwt.alg are checked at construction, naming the option', async () => {
    const { generateKeyPairSync: pair } = await import('node:crypto');
    const oktaConfig = { tokenUrl: server.url('/oauth2/aus1/v1/token'), clientId: 'a', clientSecret: SECRET, audience: 'api://x' };
    for (const assertionAudience of ['token_endpoint', 'https://corp.okta.com/oauth2/aus1', ''] as never[]) {
      const error = thrown(() => new OktaAdapter(oktaConfig, { assertionAudience }));
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', "assertionAudience must be 'authorization-server' or 'token-endpoint'"]);
    }
    expect(new OktaAdapter(oktaConfig, { assertionAudience: 'token-endpoint' }).assertionAudience).toBe(oktaConfig.tokenUrl);
    const pem = (key: import('node:crypto').KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string;
    const ec = pem(pair('ec', { namedCurve: 'P-256' }).privateKey);
    const rsa = pem(pair('rsa', { modulusLength: 2048 }).privateKey);
    const config = { tokenUrl: server.url('/t'), clientId: 'a' };
    for (const [privateKey, alg, text] of [
      [ec, 'RS256', 'privateKeyJwt.alg RS256 needs an RSA private key'],
      [ec, undefined, 'privateKeyJwt.alg RS256 needs an RSA private key'],
      [rsa, 'ES256', 'privateKeyJwt.alg ES256 needs an EC P-256 private key'],
      [ec, 'ES384', 'privateKeyJwt.alg ES384 needs an EC P-384 private key'],
      [rsa, 'HS256', 'privateKeyJwt.alg must be one of RS256, RS384, RS512, PS256, ES256, ES384'],
      // From an untyped config: a name Object.prototype has is no algorithm either.
      [rsa, 'constructor', 'privateKeyJwt.alg must be one of RS256, RS384, RS512, PS256, ES256, ES384'],
      [rsa, 'toString', 'privateKeyJwt.alg must be one of RS256, RS384, RS512, PS256, ES256, ES384'],
    ] as const) {
      const error = thrown(() => new KeycloakAdapter(config, { privateKeyJwt: { privateKey, alg: alg as never } }));
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', text]);
    }
    expect(new KeycloakAdapter(config, { privateKeyJwt: { privateKey: ec, alg: 'ES256' } }).clientId).toBe('a');
  });

  it('Entra ID outside the reference mode refuses the options of the assertion it no longer signs', () => {
    const config = { tokenUrl: server.url('/t/oauth2/v2.0/token'), clientId: 'a', clientSecret: SECRET, scope: 's/.default' };
    for (const delegation of ['assertion', 'token-exchange'] as const) {
      for (const [option, named] of [[{ bindAgentToken: true }, 'bindAgentToken'], [{ actAssertionKid: 'k1' }, 'actAssertionKid']] as const) {
        const error = thrown(() => new EntraIDAdapter(config, { delegation, ...option }));
        expect(error.code).toBe('ERR_CONFIGURATION');
        expect(error.message).toContain(named);
      }
      expect(new EntraIDAdapter(config, { delegation, bindAgentToken: false }).delegation).toBe(delegation);
    }
  });
});

describe("delegation 'assertion': an agent-only token, the application's assertion carried unchanged", () => {
  it.each([
    ['Keycloak', () => keycloak('assertion'), 'finance-agent'],
    ['Auth0', () => auth0('assertion'), 'm2m-agent'],
    ['Okta', () => okta('assertion'), 'okta-agent'],
  ])('%s: the client credentials request of the reference, its assertion without act', async (_name, make, agentId) => {
    server.handle(issueToken());
    const token = await make().requestToken({ agentId, scope: ['finance.read'], actAssertion: ASSERTION });
    const { body, claims } = await lastRequest();
    expect(body.startsWith('grant_type=client_credentials&')).toBe(true);
    expect(body).not.toContain(ASSERTION); // the application's assertion goes to the API, not to the IAM
    expect(Object.keys(claims!)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti']);
    expect(token.actAssertion).toBe(ASSERTION);
  });

  it('Entra ID: the client credentials request, no application key on the agent, the assertion unchanged', async () => {
    server.handle(issueToken());
    const token = await entraid('assertion').requestToken({ agentId: 'entra-agent', scope: [], actAssertion: ASSERTION });
    expect(server.requests.at(-1)!.body).toBe(`grant_type=client_credentials&client_id=entra-agent&client_secret=${SECRET}&scope=https%3A%2F%2Fapi.example.com%2F.default`);
    expect(token.actAssertion).toBe(ASSERTION);
  });

  it('the API call sends it as X-Act-Assertion, for every vendor', async () => {
    server.handle(issueToken());
    const token = await okta('assertion').requestToken({ agentId: 'okta-agent', scope: ['finance.read'], actAssertion: ASSERTION });
    server.handle((_req, res) => json(res, 200, { ok: true }));
    await (await new InSessionAPICall({ ca: server.caCert }).callApi({ method: 'GET', apiUrl: server.url('/finance/report'), tokenResponse: token })).json();
    const call = server.requests.at(-1)!;
    expect(call.headers['x-act-assertion']).toBe(ASSERTION);
    expect(call.headers.authorization).toBe(`Bearer ${token.accessToken}`);
  });

  it('the assertion must be a compact JWS', async () => {
    const error = await rejection(keycloak('assertion').requestToken({ agentId: 'a', scope: [], actAssertion: 'not a jws' }));
    expect(error.message).toBe('actAssertion must be a compact JWS (three base64url parts), at most 16384 characters');
    expect((await rejection(keycloak('assertion').requestToken({ agentId: 'a', scope: [] }))).message).toBe(
      "actAssertion (the application's signed act assertion) is required with delegation 'assertion'",
    );
  });

  it('the assertion must be strict base64url, as the API checks it (no padding, whitespace or unused bits set)', async () => {
    const copies = malleatedCopies(ASSERTION);
    expect(copies.map(([name]) => name)).toContain('non-zero unused bits in the signature');
    for (const [name, copy] of copies) {
      const error = await rejection(keycloak('assertion').requestToken({ agentId: 'a', scope: [], actAssertion: copy }));
      expect([name, error.code, error.message]).toEqual([name, 'ERR_INVALID_ARGUMENT', 'actAssertion must be a compact JWS (three base64url parts), at most 16384 characters']);
    }
  });
});

describe('session handlers and the token cache', () => {
  it('InSessionTokenRequest takes the subject token from a UserSession, which never prints it', async () => {
    server.handle(issueToken());
    const session = new UserSession({ userEmail: 'alice@corp.example', userId: 'user-1', subjectToken: SUBJECT });
    markSensitive('alice@corp.example');
    for (const printed of [inspect(session, { showHidden: true, depth: 5 }), JSON.stringify(session), JSON.stringify({ ...session }), String(session)]) {
      expect(printed).not.toContain(SUBJECT.slice(0, 20));
    }
    const logger = auditLogger();
    await new InSessionTokenRequest(keycloak(), { logger }).requestToken({ agentId: 'finance-agent', scope: ['finance.read'], subjectToken: session.subjectToken });
    expect(server.requests.at(-1)!.body).toContain(`subject_token=${SUBJECT}&`);
    expect(logger.lines.some((line) => line.includes('insession_token_request_start') && line.includes('"delegation":"token-exchange"'))).toBe(true);
  });

  it("the handlers check the mode's input with the adapter's own check (one text, one code)", async () => {
    const inSession = new InSessionTokenRequest(keycloak());
    const noSubject = await rejection(inSession.requestToken({ agentId: 'finance-agent', scope: ['finance.read'] }));
    expect([noSubject.code, noSubject.message]).toEqual(['ERR_INVALID_ARGUMENT', "subjectToken (the person's own token) is required with delegation 'token-exchange'"]);
    const outOfSession = new OutOfSessionTokenRequest({ adapter: keycloak('assertion'), appPublicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey });
    const noAssertion = await rejection(outOfSession.requestToken({ agentId: 'finance-agent', scope: ['finance.read'] }));
    expect([noAssertion.code, noAssertion.message]).toEqual(['ERR_INVALID_ARGUMENT', "actAssertion (the application's signed act assertion) is required with delegation 'assertion'"]);
    // The reference mode keeps its text.
    const reference = new InSessionTokenRequest(new KeycloakAdapter({ tokenUrl: server.url('/t'), clientId: 'a', clientSecret: SECRET }, { ca: server.caCert }));
    expect((await rejection(reference.requestToken({ agentId: 'a', scope: ['x'] }))).message).toBe("Invalid inputs: act with 'sub' field required");
  });

  it('two people never share a cached token; the same person reuses one; the key holds no token', async () => {
    server.handle(issueToken());
    const handler = new InSessionTokenRequest(keycloak(), { cache: true });
    const request = (subjectToken: string) => handler.requestToken({ agentId: 'finance-agent', scope: ['finance.read'], subjectToken });
    const before = server.requests.length;
    const alice = await request(SUBJECT);
    const bob = await request(OTHER_SUBJECT);
    const aliceAgain = await request(SUBJECT);
    expect(server.requests.length - before).toBe(2);
    expect(bob.accessToken).not.toBe(alice.accessToken);
    expect(aliceAgain.accessToken).toBe(alice.accessToken);
    const adapter = keycloak();
    const key = tokenCacheKey(adapter, { agentId: 'finance-agent', scope: ['finance.read'], subjectToken: SUBJECT });
    expect(key).not.toContain(SUBJECT.slice(0, 20));
    // Delegation 'assertion': the agent's own token, the same for every person (the assertion travels per request).
    const agentOnly = keycloak('assertion');
    expect(tokenCacheKey(agentOnly, { agentId: 'finance-agent', scope: ['finance.read'], actAssertion: ASSERTION })).toBe(
      tokenCacheKey(agentOnly, { agentId: 'finance-agent', scope: ['finance.read'], actAssertion: fakeJwt('another-assertion') }),
    );
  });
});

function fakeJwt(subject: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ sub: subject, nonce: randomBytes(8).toString('hex') })}.${randomBytes(64).toString('base64url')}`;
}
