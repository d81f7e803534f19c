/** Pure helpers: bearer header parsing, the RFC 6750 answer, vendor JWKS defaults, status mapping. */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, DualAuthError } from '../../src/errors.js';
import { bearerErrorResponse, bearerToken, headerValue, httpStatusFor, PROFILES } from '../../src/verify/index.js';

describe('bearerToken', () => {
  it('reads the Bearer scheme case-insensitively and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer   abc.def.ghi  ')).toBe('abc.def.ghi');
    expect(bearerToken(['Bearer first', 'Bearer second'])).toBe('first');
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer    ')).toBeUndefined();
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('BearerXabc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(headerValue([' a ', 'b'])).toBe('a');
  });

  it('refuses credentials that are not an RFC 6750 b64token: inner whitespace, bad characters', () => {
    for (const header of ['Bearer abc.def .ghi', 'Bearer abc.def\t.ghi', 'Bearer abc def', 'Bearer a,b', 'Bearer abc.d=ef.ghi']) {
      expect(() => bearerToken(header)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_INVALID', message: 'Access token is malformed' }));
    }
    // Trailing '=' is b64token syntax; the verifier then refuses it as base64url.
    expect(bearerToken('Bearer abc.def.ghi==')).toBe('abc.def.ghi==');
    expect(headerValue('')).toBeUndefined();
  });
});

describe('bearerErrorResponse', () => {
  it('401 / 403 / 503 / 500 per RFC 6750, quoted-string safe', () => {
    expect(bearerErrorResponse(new DualAuthError('Access token is missing', 'ERR_TOKEN_MISSING'))).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="api"' },
      body: { error: 'invalid_token', error_description: 'Access token is missing' },
    });
    const invalid = bearerErrorResponse(new DualAuthError('bad "quote" \\ and\nnewline', 'ERR_TOKEN_INVALID'), { realm: 'r"x' });
    expect(invalid.headers['www-authenticate']).toBe('Bearer realm="rx", error="invalid_token", error_description="bad quote  andnewline"');
    const forbidden = bearerErrorResponse(new DualAuthError('no', 'ERR_FORBIDDEN'), { scope: ['a', 'b'] });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['www-authenticate']).toBe('Bearer realm="api", error="insufficient_scope", error_description="no", scope="a b"');
    expect(bearerErrorResponse(new DualAuthError('down', 'ERR_JWKS_UNAVAILABLE')).status).toBe(503);
    const internal = bearerErrorResponse(new Error('secret detail'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal)).not.toContain('secret detail');
  });

  it('each answer in full: 403 without a scope list, 500 with a fixed text, the quoted-string keeps printable ASCII but " and \\', () => {
    expect(bearerErrorResponse(new DualAuthError('Agent lacks a required role', 'ERR_FORBIDDEN'), { scope: [] })).toEqual({
      status: 403,
      headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", error_description="Agent lacks a required role"' },
      body: { error: 'insufficient_scope', error_description: 'Agent lacks a required role' },
    });
    expect(bearerErrorResponse(new DualAuthError('JWKS could not be loaded', 'ERR_JWKS_UNAVAILABLE'))).toEqual({
      status: 503,
      headers: { 'retry-after': '5' },
      body: { error: 'temporarily_unavailable', error_description: 'JWKS could not be loaded' },
    });
    for (const error of [new ConfigurationError('issuer must be a non-empty string'), new Error('x'), undefined]) {
      expect(bearerErrorResponse(error)).toEqual({ status: 500, headers: {}, body: { error: 'server_error', error_description: 'Token verification is misconfigured or failed' } });
    }
    const printable = bearerErrorResponse(new DualAuthError(' !#[]~é\x7f\u0000', 'ERR_TOKEN_INVALID'), { realm: 'A-z 0' });
    expect(printable.headers['www-authenticate']).toBe('Bearer realm="A-z 0", error="invalid_token", error_description=" !#[]~"');
    expect(printable.body.error_description).toBe(' !#[]~é\x7f\u0000');
  });

  it('httpStatusFor', () => {
    expect(httpStatusFor(new DualAuthError('x', 'ERR_TOKEN_EXPIRED'))).toBe(401);
    expect(httpStatusFor(new DualAuthError('x', 'ERR_ACT_ASSERTION_MISSING'))).toBe(401);
    expect(httpStatusFor(new DualAuthError('x', 'ERR_FORBIDDEN'))).toBe(403);
    expect(httpStatusFor(new DualAuthError('x', 'ERR_REPLAY_STORE_UNAVAILABLE'))).toBe(503);
    expect(httpStatusFor(new ConfigurationError('x'))).toBe(500);
    expect(httpStatusFor('weird')).toBe(500);
  });
});

describe('vendor default JWKS locations', () => {
  it('match each vendor', () => {
    expect(PROFILES.keycloak.defaultJwksUri('https://sso.example.com/realms/corp')).toBe('https://sso.example.com/realms/corp/protocol/openid-connect/certs');
    expect(PROFILES.auth0.defaultJwksUri('https://corp.eu.auth0.com/')).toBe('https://corp.eu.auth0.com/.well-known/jwks.json');
    expect(PROFILES.okta.defaultJwksUri('https://corp.okta.com/oauth2/aus123')).toBe('https://corp.okta.com/oauth2/aus123/v1/keys');
    expect(PROFILES.entraid.defaultJwksUri('https://login.microsoftonline.com/tid-1/v2.0')).toBe('https://login.microsoftonline.com/tid-1/discovery/v2.0/keys');
    expect(PROFILES.entraid.defaultJwksUri('https://sts.windows.net/tid-1/')).toBe('https://login.microsoftonline.com/tid-1/discovery/keys');
    expect(PROFILES.entraid.defaultJwksUri('https://elsewhere.example/')).toBeUndefined();
  });
});
