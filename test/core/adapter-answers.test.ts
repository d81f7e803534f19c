/**
 * What BaseAdapter makes of the IAM's answers and of the caller's scopes, against a real HTTPS
 * server (issue 16, phase 2: the survivors of src/adapters/base.ts). Each vendor shares this
 * code; Keycloak stands for them.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycloakAdapter, TokenRequestError } from '../../src/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { formFields, json, startTestServer, type TestServer } from '../helpers/https-server.js';

const SECRET = `client-secret-${randomBytes(8).toString('hex')}`;
const ACCESS = `answer-access-token-${randomBytes(6).toString('hex')}`;
markSensitive(SECRET, ACCESS);
const ACT = { sub: 'u-answers' };

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function keycloak(adapterOptions: Record<string, unknown> = {}, path = '/realms/finance/protocol/openid-connect/token') {
  return new KeycloakAdapter({ tokenUrl: server.url(path), clientId: 'finance-agent', clientSecret: SECRET }, { ca: server.caCert, backoffMs: 1, logger: auditLogger(), ...adapterOptions });
}

/** The token the adapter makes of a 200 answer with `fields` (and the access token). */
async function tokenFrom(fields: Record<string, unknown>, scope: readonly string[] | string = ['finance.read', 'finance.write']) {
  server.handle((_, res) => json(res, 200, { access_token: ACCESS, ...fields }));
  return keycloak().requestToken({ agentId: 'finance-agent', act: ACT, scope });
}

describe('a 200 answer', () => {
  it('expires_in: a number or a string of digits; anything else gives the vendor default (Keycloak: 3600)', async () => {
    for (const [given, expected] of [
      [120, 120],
      ['120', 120],
      [0, 0],
      ['12.5', 3600],
      ['-5', 3600],
      ['1e3', 3600],
      [' 120', 3600],
      ['soon', 3600],
      [null, 3600],
      [true, 3600],
    ] as const) {
      expect([given, (await tokenFrom({ expires_in: given })).expiresIn]).toEqual([given, expected]);
    }
  });

  it('token_type and scope: the IAM strings, else Bearer and the scopes asked for', async () => {
    const asked = await tokenFrom({ token_type: 7, scope: ['finance.read'] });
    expect([asked.tokenType, asked.scope, asked.accessToken]).toEqual(['Bearer', 'finance.read finance.write', ACCESS]);
    const given = await tokenFrom({ token_type: 'DPoP', scope: '' });
    expect([given.tokenType, given.scope]).toEqual(['DPoP', '']);
  });

  it('a JSON null or a JSON string is not an answer (TypeError)', async () => {
    for (const body of ['null', '"a string"']) {
      server.handle((_, res) => json(res, 200, body));
      const error = await rejection(keycloak().requestToken({ agentId: 'finance-agent', act: ACT, scope: ['x'] }));
      expect([body, error.message, error.code]).toEqual([body, 'Invalid response from Keycloak: TypeError', 'ERR_TOKEN_RESPONSE']);
    }
  });
});

describe('an error answer', () => {
  async function refusal(body: unknown, status = 400): Promise<TokenRequestError> {
    server.handle((_, res) => json(res, status, body));
    return (await rejection(keycloak().requestToken({ agentId: 'finance-agent', act: ACT, scope: ['x'] }))) as TokenRequestError;
  }

  it("an error that is not a string is 'unknown_error'; the description is kept only as a string, cut to 200 characters", async () => {
    let error = await refusal({ error: 7, error_description: 42 }, 418);
    expect([error.iamError, error.iamErrorDescription, error.message]).toEqual(['unknown_error', undefined, 'Keycloak error (418): unknown_error']);
    error = await refusal(null, 418);
    expect(error.iamError).toBe('unknown_error');
    error = await refusal({ error: 'invalid_scope', error_description: 'd'.repeat(300) });
    expect([error.iamError, error.iamErrorDescription]).toEqual(['invalid_scope', 'd'.repeat(200)]);
    expect(error.message).not.toContain('ddd');
    error = await refusal({ error: 'invalid_scope' });
    expect(error.iamErrorDescription).toBeUndefined();
  });
});

describe('scopes', () => {
  it('a scope string is split on spaces, empty parts dropped; a list is sent joined by one space', async () => {
    server.handle((_, res) => json(res, 200, { access_token: ACCESS }));
    const adapter = keycloak();
    const token = await adapter.requestToken({ agentId: 'finance-agent', act: ACT, scope: '  finance.read   finance.write ' });
    expect(Object.fromEntries(formFields(server.requests.at(-1)!.body)).scope).toBe('finance.read finance.write');
    expect(token.scope).toBe('finance.read finance.write');
  });

  it.each([
    ['a number', 7],
    ['an object', { 0: 'finance.read', length: 1 }],
    ['a list holding a number', ['finance.read', 7]],
  ])('refuses scope as %s before sending', async (_name, scope) => {
    const before = server.requests.length;
    const error = await rejection(keycloak().requestToken({ agentId: 'finance-agent', act: ACT, scope: scope as never }));
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'scope must be a list of strings']);
    expect(server.requests.length).toBe(before);
  });
});

describe('the Python positional form', () => {
  it('requestToken(agentId, act, scope, { signal }) honours the signal', async () => {
    server.handle(() => {});
    const controller = new AbortController();
    const pending = rejection(keycloak().requestToken('finance-agent', ACT, ['x'], { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(error.code).toBe('ERR_ABORTED');
  });

  it('a missing scope is sent as no scope (the handlers refuse it earlier)', async () => {
    server.handle((_, res) => json(res, 200, { access_token: ACCESS }));
    const token = await keycloak().requestToken('finance-agent', ACT, undefined as never);
    expect(Object.fromEntries(formFields(server.requests.at(-1)!.body)).scope).toBe('');
    expect(token.scope).toBe('');
  });
});

describe('what an adapter shows of itself', () => {
  it('JSON and inspect: its class, client id, token URL without query, and its delegation when not act; never the secret', () => {
    const plain = keycloak({}, '/realms/finance/protocol/openid-connect/token?tenant=a');
    expect(JSON.parse(JSON.stringify(plain))).toEqual({
      adapter_type: 'KeycloakAdapter',
      client_id: 'finance-agent',
      token_url: server.url('/realms/finance/protocol/openid-connect/token'),
    });
    const exchanging = keycloak({ delegation: 'token-exchange' });
    expect(JSON.parse(JSON.stringify(exchanging)).delegation).toBe('token-exchange');
    const shown = inspect(exchanging);
    expect(shown.startsWith('KeycloakAdapter {')).toBe(true);
    expect(shown).toContain("delegation: 'token-exchange'");
    expect(shown).not.toContain(SECRET);
  });

  it('close() resolves', async () => {
    await expect(keycloak().close()).resolves.toBeUndefined();
  });

  it('an http token URL is refused at construction; a token URL that does not parse fails the first request', async () => {
    const insecure = thrown(() => new KeycloakAdapter({ tokenUrl: 'http://iam.example.com/token', clientId: 'a', clientSecret: SECRET }));
    expect([insecure.code, insecure.message]).toEqual(['ERR_INSECURE_URL', 'Token URL must use HTTPS (https://)']);
    const unparsable = new KeycloakAdapter({ tokenUrl: 'https://', clientId: 'a', clientSecret: SECRET });
    const error = await rejection(unparsable.requestToken({ agentId: 'a', act: ACT, scope: ['x'] }));
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error.cause as { code?: string }).code).toBe('ERR_INSECURE_URL');
  });
});
