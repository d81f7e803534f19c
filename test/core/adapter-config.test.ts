/**
 * Adapter configuration as callers give it (issue 16, phase 2: the survivors of
 * src/adapters/config-input.ts and factory.ts): snake_case and camelCase, which one wins,
 * what is refused with which text, and the vendor picked by createAdapter.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Auth0Adapter, EntraIDAdapter, KeycloakAdapter, OktaAdapter, createAdapter, validateAdapterConfig } from '../../src/index.js';
import { markSensitive, thrown } from '../helpers/log-audit.js';

const SECRET = `client-secret-${randomBytes(8).toString('hex')}`;
markSensitive(SECRET);
const URL_A = 'https://iam-a.example.com/realms/r/protocol/openid-connect/token';
const URL_B = 'https://iam-b.example.com/realms/r/protocol/openid-connect/token';

describe('normalised adapter configuration', () => {
  it('the first of a snake_case and a camelCase field given wins; an undefined one does not count', () => {
    expect(new KeycloakAdapter({ token_url: URL_A, tokenUrl: URL_B, clientId: 'a', clientSecret: SECRET }).tokenUrl).toBe(URL_A);
    expect(new KeycloakAdapter({ tokenUrl: URL_B, token_url: URL_A, clientId: 'a', clientSecret: SECRET }).tokenUrl).toBe(URL_B);
    expect(new KeycloakAdapter({ tokenUrl: undefined, token_url: URL_A, client_id: 'snake', clientSecret: SECRET }).tokenUrl).toBe(URL_A);
    expect(new KeycloakAdapter({ token_url: URL_A, client_id: 'snake', client_secret: SECRET }).clientId).toBe('snake');
  });

  it('an empty or null audience is none; any other audience is kept', () => {
    for (const audience of [null, '', undefined]) expect(new KeycloakAdapter({ tokenUrl: URL_A, clientId: 'a', clientSecret: SECRET, audience }).audience).toBeUndefined();
    expect(new KeycloakAdapter({ tokenUrl: URL_A, clientId: 'a', clientSecret: SECRET, audience: 'https://kc.example.com/realms/r' }).audience).toBe('https://kc.example.com/realms/r');
  });

  it('names every field that is not a string, by its Python name, in one message', () => {
    const error = thrown(() => new KeycloakAdapter({ tokenUrl: URL_A, clientId: 7, clientSecret: SECRET, audience: 5, act_audience: ['x'] } as never));
    expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', 'Invalid configuration: client_id, audience, act_audience must be a string']);
  });

  it('refuses a configuration that is not an object', () => {
    for (const config of [null, 'https://iam.example.com', 7]) {
      const error = thrown(() => new KeycloakAdapter(config as never));
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', 'Adapter configuration must be an object']);
    }
  });

  it('names the missing fields in the Python order and names', () => {
    expect(thrown(() => new KeycloakAdapter({})).message).toBe('Missing required configuration: token_url, client_id, client_secret');
    expect(thrown(() => new KeycloakAdapter({ clientId: 'a' })).message).toBe('Missing required configuration: token_url, client_secret');
  });
});

describe('validateAdapterConfig', () => {
  it('accepts a required field under either name, and a field the adapters do not know, when present', () => {
    expect(() => validateAdapterConfig({ token_url: URL_A, clientId: 'a', vendor: 'keycloak' }, ['tokenUrl', 'client_id', 'vendor'])).not.toThrow();
    const error = thrown(() => validateAdapterConfig({ token_url: URL_A }, ['vendor', 'client_id', 'token_url']));
    expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', 'Missing required configuration fields: vendor, client_id']);
  });
});

describe('createAdapter', () => {
  const base = { tokenUrl: 'https://iam.example.com/oauth2/default/v1/token', clientId: 'agent', clientSecret: SECRET, audience: 'api://default' };

  it('reads the vendor in any case, around spaces', () => {
    expect(createAdapter({ ...base, vendor: ' KeyCloak ' })).toBeInstanceOf(KeycloakAdapter);
    expect(createAdapter({ ...base, vendor: 'AUTH0' })).toBeInstanceOf(Auth0Adapter);
    expect(createAdapter({ ...base, vendor: 'Okta' })).toBeInstanceOf(OktaAdapter);
  });

  it('picks EntraID with its fields', () => {
    const keyPath = join(mkdtempSync(join(tmpdir(), 'dual-auth-adapter-config-')), 'app.pem');
    writeFileSync(keyPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
    const entra = createAdapter({ vendor: 'entraid', tokenUrl: 'https://login.example.com/t/oauth2/v2.0/token', clientId: 'a', clientSecret: SECRET, scope: 'api://x/.default', appPrivateKeyPath: keyPath, appId: 'app', actAudience: 'api://x' } as never, {} as never);
    expect(entra).toBeInstanceOf(EntraIDAdapter);
  });

  it('without a vendor: the message names the empty vendor', () => {
    for (const config of [{ ...base }, null]) {
      const error = thrown(() => createAdapter(config as never));
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', "Invalid vendor: ''. Must be one of: keycloak, auth0, okta, entraid"]);
    }
  });
});

describe('client assertion audiences read from the token URL', () => {
  it('Keycloak: the realm URL (cut at the last /protocol/), else the token URL itself, unless audience is given', () => {
    const kc = (tokenUrl: string, audience?: string) => new KeycloakAdapter({ tokenUrl, clientId: 'a', clientSecret: SECRET, audience }).assertionAudience;
    expect(kc('https://kc.example.com/realms/r/protocol/openid-connect/token')).toBe('https://kc.example.com/realms/r');
    expect(kc('https://kc.example.com/protocol/realms/r/protocol/openid-connect/token')).toBe('https://kc.example.com/protocol/realms/r');
    expect(kc('https://kc.example.com/token')).toBe('https://kc.example.com/token');
    expect(kc('https://kc.example.com/realms/r/protocol/openid-connect/token', 'https://kc.example.com/realms/r/')).toBe('https://kc.example.com/realms/r/');
  });

  it('Okta: domain and authorization server id from the token URL', () => {
    const okta = new OktaAdapter({ tokenUrl: 'https://corp.okta.com/oauth2/aus123/v1/token', clientId: 'a', clientSecret: SECRET, audience: 'api://default' });
    expect([okta.oktaDomain, okta.authServerId, okta.assertionAudience]).toEqual(['https://corp.okta.com', 'aus123', 'https://corp.okta.com/oauth2/aus123']);
    const endpoint = new OktaAdapter({ tokenUrl: 'https://corp.okta.com/oauth2/aus123/v1/token', clientId: 'a', clientSecret: SECRET, audience: 'api://default' }, { assertionAudience: 'token-endpoint' });
    expect(endpoint.assertionAudience).toBe('https://corp.okta.com/oauth2/aus123/v1/token');
  });
});

describe('vendor configuration errors and audiences (issue 16, adapters survivors)', () => {
  it('Auth0 and Okta without an audience, Okta with a token URL without /oauth2/: configuration errors', () => {
    const noAudience = { tokenUrl: 'https://corp.okta.com/oauth2/aus1/v1/token', clientId: 'a', clientSecret: SECRET };
    for (const [make, message] of [
      [() => new Auth0Adapter(noAudience), "Auth0 adapter requires 'audience' configuration"],
      [() => new OktaAdapter(noAudience), "Okta adapter requires 'audience' configuration"],
      [() => new OktaAdapter({ ...noAudience, tokenUrl: 'https://corp.okta.com/v1/token', audience: 'api://default' }), 'Invalid Okta token URL format. Expected: https://domain.okta.com/oauth2/aus123.../v1/token'],
    ] as const) {
      const error = thrown(make);
      expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', message]);
    }
  });

  it('Auth0: the tenant URL with a slash (cut at the last /oauth/), else the token URL with a slash', () => {
    const auth0 = (tokenUrl: string) => new Auth0Adapter({ tokenUrl, clientId: 'a', clientSecret: SECRET, audience: 'https://api.example.com' }).assertionAudience;
    expect(auth0('https://tenant.auth0.com/oauth/token')).toBe('https://tenant.auth0.com/');
    expect(auth0('https://tenant.auth0.com/token')).toBe('https://tenant.auth0.com/token/');
  });

  it('a null field other than audience is not a string: refused, not taken as missing', () => {
    const error = thrown(() => new KeycloakAdapter({ tokenUrl: URL_A, clientId: null, clientSecret: SECRET } as never));
    expect([error.code, error.message]).toEqual(['ERR_CONFIGURATION', 'Invalid configuration: client_id must be a string']);
  });
});
