/**
 * The vendor profiles claim by claim: where each IAM puts the agent, its roles and scopes, how an
 * agent's own token and a person's token are told apart, and the default JWKS location. A wrong
 * answer here reads the wrong party's identity, so each rule is pinned with its edge cases
 * (empty strings, other types, lists given as strings). Issue 16.
 */
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../src/verify/index.js';

const { keycloak, auth0, okta, entraid } = PROFILES;

describe('keycloak', () => {
  it('agent: azp, else client_id; empty or non-string values do not count', () => {
    expect(keycloak.agentId({ azp: 'a', client_id: 'c' })).toBe('a');
    expect(keycloak.agentId({ azp: '', client_id: 'c' })).toBe('c');
    expect(keycloak.agentId({ azp: 5 as never, client_id: 'c' })).toBe('c');
    expect(keycloak.agentId({ client_id: '' })).toBeUndefined();
    expect(keycloak.agentId({})).toBeUndefined();
  });

  it('roles from realm_access.roles (strings only, or a space-separated string); scopes from scope, else scp', () => {
    expect(keycloak.roles({ realm_access: { roles: ['r1', 5, 'r2'] } })).toEqual(['r1', 'r2']);
    expect(keycloak.roles({ realm_access: { roles: ' r1  r2 ' } })).toEqual(['r1', 'r2']);
    expect(keycloak.roles({ realm_access: { roles: '' } })).toEqual([]);
    expect(keycloak.roles({ realm_access: { roles: 7 } })).toEqual([]);
    expect(keycloak.roles({})).toEqual([]);
    expect(keycloak.scopes({ scope: 'a b', scp: ['x'] })).toEqual(['a', 'b']);
    expect(keycloak.scopes({ scp: ['x', 1] })).toEqual(['x']);
    expect(keycloak.scopes({ scp: 'x y' })).toEqual(['x', 'y']);
    // A scope claim present but empty wins over scp: the token grants nothing.
    expect(keycloak.scopes({ scope: '', scp: ['x'] })).toEqual([]);
    expect(keycloak.scopes({})).toEqual([]);
  });

  it('the agent\'s own token: client_id or clientId, or a service-account user name; a person: any other user name', () => {
    for (const claims of [{ client_id: 'x' }, { clientId: 'x' }, { preferred_username: 'service-account-x' }]) expect(keycloak.agentOnly(claims)).toBe(true);
    for (const claims of [{ client_id: '' }, { clientId: '' }, { preferred_username: 'alice' }, { preferred_username: 'x-service-account-' }, {}]) expect(keycloak.agentOnly(claims)).toBe(false);
    expect(keycloak.personSubject({ preferred_username: 'alice' })).toBe(true);
    expect(keycloak.personSubject({ preferred_username: 'service-account-x' })).toBe(false);
    expect(keycloak.personSubject({ preferred_username: 5 as never })).toBe(false);
    expect(keycloak.personSubject({ sub: 'user-1' })).toBe(false);
    expect([keycloak.actFromAssertion, keycloak.delegationNeedsAgents]).toEqual([false, false]);
  });

  it('default JWKS: the realm\'s certs endpoint, with or without a trailing slash', () => {
    expect(keycloak.defaultJwksUri('https://sso.example.test/realms/corp/')).toBe('https://sso.example.test/realms/corp/protocol/openid-connect/certs');
  });
});

describe('auth0', () => {
  it('agent: azp, else client_id, else the client of a "<client>@clients" subject', () => {
    expect(auth0.agentId({ azp: 'a', client_id: 'c', sub: 'z@clients' })).toBe('a');
    expect(auth0.agentId({ client_id: 'c', sub: 'z@clients' })).toBe('c');
    expect(auth0.agentId({ sub: 'z@clients' })).toBe('z');
    expect(auth0.agentId({ sub: '@clients' })).toBeUndefined();
    expect(auth0.agentId({ sub: 'auth0|alice' })).toBeUndefined();
    expect(auth0.agentId({})).toBeUndefined();
  });

  it('roles from permissions; the agent\'s own token by gty or an @clients subject; a person otherwise', () => {
    expect(auth0.roles({ permissions: ['read:x', 3] })).toEqual(['read:x']);
    expect(auth0.agentOnly({ gty: 'client-credentials', sub: 'auth0|a' })).toBe(true);
    expect(auth0.agentOnly({ sub: 'z@clients' })).toBe(true);
    expect(auth0.agentOnly({ gty: 'password', sub: 'auth0|a' })).toBe(false);
    expect(auth0.agentOnly({ sub: 5 as never })).toBe(false);
    expect(auth0.personSubject({ sub: 'auth0|alice' })).toBe(true);
    expect(auth0.personSubject({ sub: 'z@clients' })).toBe(false);
    expect(auth0.personSubject({ gty: 'client-credentials', sub: 'auth0|alice' })).toBe(false);
    expect(auth0.personSubject({ sub: '' })).toBe(false);
    expect(auth0.personSubject({})).toBe(false);
    expect(auth0.defaultJwksUri('https://corp.auth0.example.test')).toBe('https://corp.auth0.example.test/.well-known/jwks.json');
  });
});

describe('okta', () => {
  it('agent: cid only; roles are the granted scopes (scp)', () => {
    expect(okta.agentId({ cid: 'c', azp: 'a', sub: 's' })).toBe('c');
    expect(okta.agentId({ azp: 'a' })).toBeUndefined();
    expect(okta.roles({ scp: ['a', 'b'], scope: 'x' })).toEqual(['a', 'b']);
    expect(okta.scopes({ scp: ['a', 'b'] })).toEqual(['a', 'b']);
  });

  it('a person has a uid and a subject that is not the client; without uid, or with sub = cid, the token is the agent\'s', () => {
    expect(okta.agentOnly({ sub: 'alice@example.test', cid: 'c' })).toBe(true);
    expect(okta.agentOnly({ uid: '', sub: 'alice@example.test', cid: 'c' })).toBe(true);
    expect(okta.agentOnly({ uid: '00u1', sub: 'c', cid: 'c' })).toBe(true);
    expect(okta.agentOnly({ uid: '00u1', sub: 'alice@example.test', cid: 'c' })).toBe(false);
    expect(okta.personSubject({ uid: '00u1', sub: 'alice@example.test', cid: 'c' })).toBe(true);
    expect(okta.personSubject({ uid: '00u1', sub: 'c', cid: 'c' })).toBe(false);
    expect(okta.personSubject({ sub: 'alice@example.test', cid: 'c' })).toBe(false);
    expect([okta.actFromAssertion, okta.delegationNeedsAgents]).toEqual([false, true]);
  });
});

describe('entraid', () => {
  it('agent: appid (v1), else azp (v2); roles from roles; scopes from scp', () => {
    expect(entraid.agentId({ appid: 'v1', azp: 'v2' })).toBe('v1');
    expect(entraid.agentId({ appid: '', azp: 'v2' })).toBe('v2');
    expect(entraid.agentId({})).toBeUndefined();
    expect(entraid.roles({ roles: ['A', 'B'] })).toEqual(['A', 'B']);
    expect(entraid.scopes({ scp: 'Finance.Read Finance.Write' })).toEqual(['Finance.Read', 'Finance.Write']);
  });

  it('app-only: idtyp app, no scp, or oid = sub; a person: idtyp user, or scp without the app signals', () => {
    expect(entraid.agentOnly({ idtyp: 'app', scp: 'x', oid: 'o', sub: 's' })).toBe(true);
    expect(entraid.agentOnly({ oid: 'o', sub: 's' })).toBe(true);
    expect(entraid.agentOnly({ scp: 'x', oid: 'o', sub: 'o' })).toBe(true);
    expect(entraid.agentOnly({ scp: 'x', oid: 'o', sub: 's' })).toBe(false);
    expect(entraid.agentOnly({ scp: 'x', sub: 's' })).toBe(false);
    expect(entraid.personSubject({ idtyp: 'user' })).toBe(true);
    expect(entraid.personSubject({ scp: 'x', oid: 'o', sub: 's' })).toBe(true);
    expect(entraid.personSubject({ scp: 'x', oid: 'o', sub: 'o' })).toBe(false);
    expect(entraid.personSubject({ idtyp: 'app', scp: 'x' })).toBe(false);
    expect(entraid.personSubject({ scp: ['x'] })).toBe(false);
    expect([entraid.actFromAssertion, entraid.delegationNeedsAgents]).toEqual([true, true]);
  });

  it('default JWKS: v2 issuers with or without the trailing slash, v1 issuers, nothing for others', () => {
    expect(entraid.defaultJwksUri('https://login.microsoftonline.com/t1/v2.0/')).toBe('https://login.microsoftonline.com/t1/discovery/v2.0/keys');
    expect(entraid.defaultJwksUri('https://sts.windows.net/t1')).toBe('https://login.microsoftonline.com/t1/discovery/keys');
    expect(entraid.defaultJwksUri('https://sts.windows.net/t1/extra/')).toBeUndefined();
    expect(entraid.defaultJwksUri('http://sts.windows.net/t1/')).toBeUndefined();
    expect(entraid.defaultJwksUri('https://login.microsoftonline.com/t1/v2.0x')).toBeUndefined();
  });
});
