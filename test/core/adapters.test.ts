import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { jwtVerify } from 'jose';
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth0Adapter,
  EntraIDAdapter,
  KeycloakAdapter,
  OktaAdapter,
  TokenRequestError,
  TokenResponse,
  computeAth,
  createAdapter,
  validateAdapterConfig,
  type BaseAdapter,
} from '../../src/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { decodeJwt, formFields, json, startTestServer, type TestServer } from '../helpers/https-server.js';

const SECRET = `client-secret-${randomBytes(8).toString('hex')}`;
const EMAIL = 'alice.adapters@corp.example';
const NAME = 'Alice Adapters';
const ACT = { sub: 'f1234567-89ab-cdef-0123-456789abcdef', email: EMAIL, name: NAME };
markSensitive(SECRET, EMAIL, NAME);

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(tmpdir(), 'dual-auth-adapters-'));
const privateKeyPath = join(dir, 'app-private.pem');
writeFileSync(privateKeyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });

let server: TestServer;
let issued = 0;

/** Answers like an IAM: a fresh access token each time (marked sensitive). */
function issueToken(extra: Record<string, unknown> = {}) {
  return (_req: unknown, res: Parameters<typeof json>[0]) => {
    const accessToken = `at-${++issued}-${randomBytes(12).toString('hex')}`;
    markSensitive(accessToken);
    json(res, 200, { access_token: accessToken, ...extra });
  };
}

beforeAll(async () => {
  server = await startTestServer(issueToken());
});
afterAll(() => server.close());

function lastRequest() {
  const request = server.requests.at(-1)!;
  const fields = formFields(request.body);
  const assertion = fields.find(([name]) => name === 'client_assertion')?.[1];
  markSensitive(assertion);
  return { request, fields, assertion };
}

const options = () => ({ ca: server.caCert, backoffMs: 1, logger: auditLogger() });

function keycloak(extra: Record<string, unknown> = {}) {
  return new KeycloakAdapter({ tokenUrl: server.url('/realms/finance/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET, ...extra }, options());
}
function auth0() {
  return new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'm2m-agent', clientSecret: SECRET, audience: 'https://api.example.com' }, options());
}
function okta(extra: Record<string, unknown> = {}, adapterOptions: Record<string, unknown> = {}) {
  return new OktaAdapter(
    { tokenUrl: server.url('/oauth2/aus123abc/v1/token'), clientId: 'okta-agent', clientSecret: SECRET, audience: 'api://default', ...extra },
    { ...options(), ...adapterOptions },
  );
}
function entraid(adapterOptions: Record<string, unknown> = {}) {
  return new EntraIDAdapter(
    {
      tokenUrl: server.url('/tenant-id/oauth2/v2.0/token'),
      clientId: 'entra-agent',
      clientSecret: SECRET,
      scope: 'https://api.example.com/.default',
      appPrivateKeyPath: privateKeyPath,
      appId: 'https://app.example.com',
      actAudience: 'https://api.example.com',
    },
    { ...options(), ...adapterOptions },
  );
}

async function verifyHs256(assertion: string) {
  return (await jwtVerify(assertion, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] })).payload;
}

describe('Keycloak request', () => {
  it('posts the form fields and an HS256 client assertion carrying act', async () => {
    server.handle(issueToken());
    const token = await keycloak().requestToken({ agentId: 'finance-agent', act: ACT, scope: ['finance.read', 'finance.write'] });
    const { request, fields, assertion } = lastRequest();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/realms/finance/protocol/openid-connect/token');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.accept).toBe('application/json');
    expect(fields.map(([name]) => name)).toEqual(['grant_type', 'scope', 'client_assertion_type', 'client_assertion']);
    expect(Object.fromEntries(fields)).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'finance.read finance.write',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    });
    const { header, payload } = decodeJwt(assertion!);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'act']);
    const verified = await verifyHs256(assertion!);
    expect(verified).toMatchObject({ iss: 'finance-agent', sub: 'finance-agent', aud: server.url('/realms/finance'), act: ACT });
    expect(verified.exp! - verified.iat!).toBe(300);
    expect(verified.jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Response defaults
    expect(token.tokenType).toBe('Bearer');
    expect(token.expiresIn).toBe(3600);
    expect(token.scope).toBe('finance.read finance.write');
    expect(token.actAssertion).toBeUndefined();
  });

  it('encodes JWT parts byte for byte as PyJWT: compact JSON, non-ASCII escaped', async () => {
    server.handle(issueToken());
    const name = 'Zoë Ñuñez 😀';
    markSensitive(name, 'Zoë');
    await keycloak().requestToken({ agentId: 'finance-agent', act: { sub: 'u-9', name }, scope: ['finance.read'] });
    const [header, payload] = lastRequest().assertion!.split('.');
    expect(Buffer.from(header!, 'base64url').toString()).toBe('{"alg":"HS256","typ":"JWT"}');
    const text = Buffer.from(payload!, 'base64url').toString();
    expect(text).toContain('"act":{"sub":"u-9","name":"Zo\\u00eb \\u00d1u\\u00f1ez \\ud83d\\ude00"}');
    expect(/[^\x20-\x7e]/.test(text)).toBe(false);
  });

  it('uses the configured audience when given, and a new jti every time', async () => {
    server.handle(issueToken());
    const adapter = keycloak({ audience: 'https://kc.example.com/realms/finance' });
    await adapter.requestToken({ agentId: 'finance-agent', act: ACT, scope: 'finance.read' });
    const first = decodeJwt(lastRequest().assertion!).payload;
    await adapter.requestToken('finance-agent', ACT, ['finance.read']);
    const second = decodeJwt(lastRequest().assertion!).payload;
    expect(first.aud).toBe('https://kc.example.com/realms/finance');
    expect(first.jti).not.toBe(second.jti);
  });

  it('keeps the IAM values when it sends them', async () => {
    server.handle(issueToken({ token_type: 'DPoP', expires_in: 120, scope: 'finance.read profile' }));
    const token = await keycloak().requestToken({ agentId: 'finance-agent', act: ACT, scope: ['finance.read'] });
    expect([token.tokenType, token.expiresIn, token.scope]).toEqual(['DPoP', 120, 'finance.read profile']);
  });

  it('signs with a private key instead when asked (private_key_jwt)', async () => {
    server.handle(issueToken());
    const adapter = new KeycloakAdapter(
      { tokenUrl: server.url('/realms/finance/protocol/openid-connect/token'), clientId: 'finance-agent', clientSecret: SECRET },
      { ...options(), privateKeyJwt: { privateKey: privateKeyPath, kid: 'k1' } },
    );
    await adapter.requestToken({ agentId: 'finance-agent', act: ACT, scope: ['finance.read'] });
    const assertion = lastRequest().assertion!;
    expect(decodeJwt(assertion).header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    const { payload } = await jwtVerify(assertion, createPublicKey(keys.privateKey), { algorithms: ['RS256'] });
    expect(payload.act).toEqual(ACT);
    // With a private key, no client secret is needed (Auth0 hides it once Private Key JWT is on).
    expect(() => new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'a', audience: 'x' }, { privateKeyJwt: { privateKey: privateKeyPath } })).not.toThrow();
    expect(thrown(() => new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'a', audience: 'x' })).message).toBe('Missing required configuration: client_secret');
  });
});

describe('Auth0 request', () => {
  it('sends client_id and audience, no scope; assertion aud is the tenant URL with a slash', async () => {
    server.handle(issueToken());
    const token = await auth0().requestToken({ agentId: 'm2m-agent', act: ACT, scope: ['finance.read'] });
    const { fields, assertion } = lastRequest();
    expect(fields.map(([name]) => name)).toEqual(['grant_type', 'client_id', 'audience', 'client_assertion_type', 'client_assertion']);
    expect(Object.fromEntries(fields)).toMatchObject({ client_id: 'm2m-agent', audience: 'https://api.example.com' });
    expect((await verifyHs256(assertion!)).aud).toBe(`${server.origin}/`);
    expect(token.expiresIn).toBe(86400);
  });

  it("client_id is the agentId of the request, not the configured clientId", async () => {
    server.handle(issueToken());
    const adapter = new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'configured', clientSecret: SECRET, audience: 'https://api.example.com' }, options());
    await adapter.requestToken({ agentId: 'agent-7', act: ACT, scope: ['finance.read'] });
    const { fields, assertion } = lastRequest();
    expect(Object.fromEntries(fields).client_id).toBe('agent-7');
    expect(await verifyHs256(assertion!)).toMatchObject({ iss: 'agent-7', sub: 'agent-7' });
  });

  it('requires an audience', () => {
    const error = thrown(() => new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'a', clientSecret: SECRET }));
    expect(error.message).toBe("Auth0 adapter requires 'audience' configuration");
  });
});

describe('Okta request', () => {
  it('sends scope; assertion aud is the authorization server URL', async () => {
    server.handle(issueToken());
    const token = await okta().requestToken({ agentId: 'okta-agent', act: ACT, scope: ['finance.read', 'finance.write'] });
    const { fields, assertion } = lastRequest();
    expect(fields.map(([name]) => name)).toEqual(['grant_type', 'scope', 'client_assertion_type', 'client_assertion']);
    expect((await verifyHs256(assertion!)).aud).toBe(server.url('/oauth2/aus123abc'));
    expect(token.expiresIn).toBe(3600);
  });

  it('can use the token endpoint as audience, as Okta documents', async () => {
    server.handle(issueToken());
    await okta({}, { assertionAudience: 'token-endpoint' }).requestToken({ agentId: 'okta-agent', act: ACT, scope: ['x'] });
    expect((await verifyHs256(lastRequest().assertion!)).aud).toBe(server.url('/oauth2/aus123abc/v1/token'));
  });

  it('refuses a token URL without /oauth2/ and a config without audience', () => {
    expect(thrown(() => okta({ tokenUrl: server.url('/token') })).message).toBe(
      'Invalid Okta token URL format. Expected: https://domain.okta.com/oauth2/aus123.../v1/token',
    );
    expect(thrown(() => okta({ audience: undefined })).message).toBe("Okta adapter requires 'audience' configuration");
  });
});

describe('EntraID request', () => {
  it('posts client_secret_post with the configured scope and returns an RS256 act assertion', async () => {
    server.handle(issueToken());
    const token = await entraid().requestToken({ agentId: 'entra-agent', act: { ...ACT, oid: 'oid-1' }, scope: ['ignored'] });
    const { request, fields } = lastRequest();
    expect(request.headers.accept).toBe('*/*'); // requests' default: the reference sets none
    expect(fields).toEqual([
      ['grant_type', 'client_credentials'],
      ['client_id', 'entra-agent'],
      ['client_secret', SECRET],
      ['scope', 'https://api.example.com/.default'],
    ]);
    expect(token.scope).toBe('https://api.example.com/.default');
    expect(token.expiresIn).toBe(3599);
    markSensitive(token.actAssertion);
    const { header } = decodeJwt(token.actAssertion!);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token.actAssertion!, createPublicKey(keys.privateKey), {
      algorithms: ['RS256'],
      audience: 'https://api.example.com',
      issuer: 'https://app.example.com',
    });
    expect(Object.keys(payload)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'act']);
    expect(payload.sub).toBe('https://app.example.com');
    expect(payload.act).toEqual({ ...ACT, oid: 'oid-1' });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.ath).toBeUndefined();
  });

  it('binds the assertion to the access token with bindAgentToken', async () => {
    server.handle(issueToken());
    const token = await entraid({ bindAgentToken: true, actAssertionKid: 'app-2026' }).requestToken({ agentId: 'entra-agent', act: ACT, scope: ['x'] });
    markSensitive(token.actAssertion);
    const { header, payload } = decodeJwt(token.actAssertion!);
    expect(header.kid).toBe('app-2026');
    expect(payload.ath).toBe(computeAth(token.accessToken));
  });

  it('requires its fields and a loadable key, with the Python texts', () => {
    const base = { tokenUrl: server.url('/t/oauth2/v2.0/token'), clientId: 'a', clientSecret: SECRET };
    expect(thrown(() => new EntraIDAdapter(base)).message).toBe('EntraID adapter requires: scope, app_private_key_path, app_id, act_audience');
    const config = { ...base, scope: 's/.default', appId: 'app', actAudience: 'aud' };
    expect(thrown(() => new EntraIDAdapter({ ...config, appPrivateKeyPath: join(dir, 'missing.pem') })).message).toBe(
      'Cannot load private key: FileNotFoundError',
    );
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    expect(thrown(() => new EntraIDAdapter({ ...config, appPrivateKeyPath: garbage })).message).toBe('Cannot load private key: ValueError');
  });
});

describe('configuration', () => {
  it('accepts the Python snake_case config', async () => {
    server.handle(issueToken());
    const adapter = createAdapter({
      vendor: 'keycloak',
      token_url: server.url('/realms/r/protocol/openid-connect/token'),
      client_id: 'finance-agent',
      client_secret: SECRET,
    }, options());
    expect(adapter).toBeInstanceOf(KeycloakAdapter);
    await adapter.requestToken({ agentId: 'finance-agent', act: ACT, scope: ['finance.read'] });
    expect((await verifyHs256(lastRequest().assertion!)).aud).toBe(server.url('/realms/r'));
  });

  it('createAdapter picks the class by vendor and refuses an unknown one', () => {
    expect(createAdapter({ vendor: 'auth0', tokenUrl: 'https://t.example/oauth/token', clientId: 'a', clientSecret: 's', audience: 'x' })).toBeInstanceOf(Auth0Adapter);
    expect(thrown(() => createAdapter({ vendor: 'ping' } as never)).message).toBe("Invalid vendor: 'ping'. Must be one of: keycloak, auth0, okta, entraid");
  });

  it('refuses missing fields and http token URLs with the Python texts', () => {
    expect(thrown(() => new KeycloakAdapter({ tokenUrl: 'https://x.example/t' })).message).toBe('Missing required configuration: client_id, client_secret');
    const insecure = thrown(() => new KeycloakAdapter({ tokenUrl: 'http://x.example/t', clientId: 'a', clientSecret: SECRET }));
    expect(insecure.message).toBe('Token URL must use HTTPS (https://)');
    expect(insecure.code).toBe('ERR_INSECURE_URL');
    expect(thrown(() => new KeycloakAdapter({ tokenUrl: 42 as never, clientId: 'a', clientSecret: 'b' })).code).toBe('ERR_CONFIGURATION');
    expect(thrown(() => new KeycloakAdapter(null as never)).code).toBe('ERR_CONFIGURATION');
  });

  it('validateAdapterConfig names the missing fields', () => {
    expect(thrown(() => validateAdapterConfig({ token_url: 'https://x' }, ['token_url', 'client_id'])).message).toBe(
      'Missing required configuration fields: client_id',
    );
    expect(() => validateAdapterConfig({ tokenUrl: 'https://x', clientId: 'a' }, ['token_url', 'client_id'])).not.toThrow();
  });
});

describe('act validation', () => {
  it.each([
    [{}, 'Act claim cannot be empty'],
    [null, 'Act claim cannot be empty'],
    [{ email: EMAIL }, "Act claim must contain 'sub' field"],
    [{ sub: '' }, "Act claim 'sub' field cannot be empty"],
    [{ sub: 42 }, "Act claim 'sub' field must be a string"],
  ])('refuses %j before any request', async (act, message) => {
    const before = server.requests.length;
    const error = await rejection(keycloak().requestToken({ agentId: 'a', act: act as never, scope: ['x'] }));
    expect(error.message).toBe(message);
    expect(error.code).toBe('ERR_INVALID_ACT');
    expect(server.requests.length).toBe(before);
  });
});

type AdapterFactory = () => BaseAdapter;
const vendors: Array<[string, AdapterFactory, Record<number, string>, (status: number, error: string) => string, string]> = [
  [
    'Keycloak',
    () => keycloak(),
    { 400: 'Bad request to Keycloak - check client assertion format', 401: 'Authentication failed - check client credentials', 403: 'Access forbidden - check client permissions' },
    (status, error) => `Keycloak error (${status}): ${error}`,
    'Network error connecting to Keycloak: ConnectionError',
  ],
  [
    'Auth0',
    () => auth0(),
    {
      400: 'Bad request to Auth0 - check client assertion or audience',
      401: 'Authentication failed - check client credentials',
      403: 'Access forbidden - check client is authorized for API',
      429: 'Rate limit exceeded - too many requests to Auth0',
    },
    (status, error) => `Auth0 error (${status}): ${error}`,
    'Network error connecting to Auth0: ConnectionError',
  ],
  [
    'Okta',
    () => okta(),
    {
      400: 'Bad request to Okta - check client assertion or scope',
      401: 'Authentication failed - check client credentials',
      403: 'Access forbidden - check authorization policy',
      429: 'Rate limit exceeded - too many requests to Okta',
    },
    (status, error) => `Okta error (${status}): ${error}`,
    'Network error connecting to Okta: ConnectionError',
  ],
  [
    'EntraID',
    () => entraid(),
    { 400: 'Bad request - check credentials', 401: 'Authentication failed', 403: 'Access forbidden' },
    (status) => `EntraID error (${status})`,
    'Network error: ConnectionError',
  ],
];

describe.each(vendors)('%s error answers', (name, make, texts, other, networkText) => {
  it.each([400, 401, 403, 429, 500, 502, 503, 504, 418])('HTTP %i gives the reference text and the status', async (status) => {
    server.handle((_, res) => json(res, status, { error: 'invalid_client', error_description: `described ${status}` }));
    const error = (await rejection(make().requestToken({ agentId: 'agent', act: ACT, scope: ['finance.read'] }))) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.statusCode).toBe(status);
    expect(error.message).toBe(texts[status] ?? other(status, 'invalid_client'));
    expect(String(error)).toBe(`Token request failed (HTTP ${status}): ${error.message}`);
    expect(error.code).toBe('ERR_TOKEN_HTTP');
    expect(error.iamError).toBe('invalid_client');
    expect(error.iamErrorDescription).toBe(`described ${status}`);
  });

  it('a non-JSON error body is a parse_error', async () => {
    server.handle((_, res) => {
      res.writeHead(418, { 'content-type': 'text/html' });
      res.end('<html>teapot</html>');
    });
    const error = (await rejection(make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] }))) as TokenRequestError;
    expect(error.message).toBe(other(418, 'parse_error'));
  });

  it('bad JSON and a missing access_token are invalid responses', async () => {
    server.handle((_, res) => json(res, 200, '{not json'));
    let error = await rejection(make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] }));
    expect(error.message).toBe(`Invalid response from ${name}: JSONDecodeError`);
    expect(error.code).toBe('ERR_TOKEN_RESPONSE');
    server.handle((_, res) => json(res, 200, { token_type: 'Bearer' }));
    error = await rejection(make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] }));
    expect(error.message).toBe(`Invalid response from ${name}: KeyError`);
    server.handle((_, res) => json(res, 200, [1, 2]));
    error = await rejection(make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] }));
    expect(error.message).toBe(`Invalid response from ${name}: TypeError`);
  });

  it('a 200 answer with an empty or non-string access_token is refused, never turned into a token', async () => {
    for (const accessToken of ['', 42, null, ['at-1']]) {
      server.handle((_, res) => json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300 }));
      const error = await rejection(make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] }));
      expect([accessToken, error.message, error.code]).toEqual([accessToken, `Invalid response from ${name}: ValueError`, 'ERR_TOKEN_RESPONSE']);
    }
  });

  it('retries a 503 honouring Retry-After, then succeeds', async () => {
    let calls = 0;
    const answer = issueToken();
    server.handle((req, res) => (++calls < 3 ? json(res, 503, { error: 'busy' }, { 'retry-after': '0' }) : answer(req, res)));
    const token = await make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] });
    expect(token.accessToken).toMatch(/^at-/);
    expect(calls).toBe(3);
  });

  it('retries the token POST on 500/502/504 as the reference (each attempt a new assertion)', async () => {
    for (const status of [500, 502, 504]) {
      let calls = 0;
      const answer = issueToken();
      server.handle((req, res) => (++calls === 1 ? json(res, status, { error: 'temporarily_unavailable' }) : answer(req, res)));
      await make().requestToken({ agentId: 'agent', act: ACT, scope: ['x'] });
      expect([status, calls]).toEqual([status, 2]);
    }
  });

  it('a refused connection is a network error naming the class only', async () => {
    const adapter = make();
    Object.defineProperty(adapter, 'tokenUrl', { value: 'https://127.0.0.1:1/token' });
    const error = (await rejection(adapter.requestToken({ agentId: 'agent', act: ACT, scope: ['x'] }))) as TokenRequestError;
    expect(error.message).toBe(networkText);
    expect(error.statusCode).toBeUndefined();
    expect(error.code).toBe('ERR_NETWORK');
  });
});

describe('retried token requests', () => {
  it.each([
    ['Keycloak', () => keycloak()],
    ['Auth0', () => auth0()],
    ['Okta', () => okta()],
  ] as Array<[string, AdapterFactory]>)('%s signs a fresh client assertion (new jti) for each attempt', async (_name, make) => {
    let calls = 0;
    const answer = issueToken();
    server.handle((req, res) => (++calls === 1 ? json(res, 503, { error: 'busy' }, { 'retry-after': '0' }) : answer(req, res)));
    const before = server.requests.length;
    await make().requestToken({ agentId: 'agent', act: ACT, scope: ['finance.read'] });
    const attempts = server.requests.slice(before).map((request) => {
      const fields = formFields(request.body);
      const assertion = fields.find(([name]) => name === 'client_assertion')?.[1];
      markSensitive(assertion);
      return { fields, ...decodeJwt(assertion!) };
    });
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
    expect(first.payload.jti).not.toBe(second.payload.jti);
    // Apart from the assertion, the two requests are the same bytes; the assertions differ only in jti (and time).
    const withoutAssertion = (fields: Array<[string, string]>) => fields.filter(([name]) => name !== 'client_assertion');
    expect(withoutAssertion(second.fields)).toEqual(withoutAssertion(first.fields));
    expect(second.header).toEqual(first.header);
    expect(Object.keys(second.payload)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'act']);
    const stable = ({ iss, sub, aud, act }: Record<string, unknown>) => ({ iss, sub, aud, act });
    expect(stable(second.payload)).toEqual(stable(first.payload));
  });
});

describe('timeouts and aborts', () => {
  it('a hanging IAM gives ERR_TIMEOUT', async () => {
    server.handle(() => {});
    const adapter = new KeycloakAdapter(
      { tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'a', clientSecret: SECRET },
      { ca: server.caCert, timeoutMs: 150 },
    );
    const error = (await rejection(adapter.requestToken({ agentId: 'a', act: ACT, scope: ['x'] }))) as TokenRequestError;
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.message).toBe('Network error connecting to Keycloak: Timeout');
  });

  it('an AbortSignal stops the request', async () => {
    server.handle(() => {});
    const error = await rejection(keycloak().requestToken({ agentId: 'a', act: ACT, scope: ['x'], signal: AbortSignal.timeout(50) }));
    expect(error.code).toBe('ERR_ABORTED');
  });
});

describe('TokenResponse redaction', () => {
  const token = new TokenResponse({ accessToken: 'eyJ.secret-access.token', tokenType: 'Bearer', expiresIn: 60, scope: 'a b', actAssertion: 'eyJ.secret-assertion' });
  markSensitive('secret-access', 'secret-assertion');

  it('never shows the token or assertion in inspect, toString or JSON', () => {
    for (const text of [inspect(token), String(token), `${token}`, JSON.stringify(token), inspect({ nested: token }, { depth: 5 })]) {
      expect(text).not.toContain('secret-access');
      expect(text).not.toContain('secret-assertion');
      expect(text).toContain('***REDACTED***');
    }
    expect(String(token)).toBe(
      'TokenResponse(token_type=Bearer, expires_in=60, scope=a b, access_token=***REDACTED***, act_assertion=***REDACTED***)',
    );
    expect(token.accessToken).toBe('eyJ.secret-access.token');
  });
});
