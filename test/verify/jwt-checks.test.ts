/**
 * The JWT checks on node:crypto (src/jwt/verify.ts) one by one, as every verification path runs
 * them: the strict parse and the algorithm allow-list, the key held to the algorithm, the claims
 * check with its boundaries on a fixed clock (each bound inclusive or exclusive as jose's), and
 * the failures' codes, claims and reasons that src/verify/errors.ts maps. Issue 16: mutants of
 * these checks survived because the verifier's tests only looked at the final code.
 */
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaimsCheck, decodeJsonObject, decodeJwtClaims, JwtCheckError, parseCompactJws, requireKeyFor, verifyJwsSignature, type ClaimChecks } from '../../src/jwt/verify.js';

const T = 1_800_000_000;
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ALL = new Set(['RS256', 'PS256', 'ES256', 'EdDSA']);

function failure(fn: () => unknown): JwtCheckError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JwtCheckError);
    return error as JwtCheckError;
  }
  throw new Error('expected a JwtCheckError');
}

const described = (error: JwtCheckError) => ({ code: error.code, message: error.message, claim: error.claim, reason: error.reason });

describe('parseCompactJws', () => {
  const header = (h: unknown) => `${b64(h)}.${b64({ sub: 'x' })}.c2ln`;

  it('returns the header, the signing input and the two other segments', () => {
    const token = header({ alg: 'RS256', kid: 'k1' });
    const [h, p, s] = token.split('.');
    expect(parseCompactJws(token, ALL)).toEqual({ header: { alg: 'RS256', kid: 'k1' }, signingInput: `${h}.${p}`, encodedPayload: p, encodedSignature: s });
  });

  it('refuses each malformed form with jose\'s code and message', () => {
    expect(described(failure(() => parseCompactJws('a.b', ALL)))).toEqual({ code: 'ERR_JWS_INVALID', message: 'Invalid Compact JWS', claim: undefined, reason: undefined });
    expect(described(failure(() => parseCompactJws(`${b64('[1]')}.${b64({})}.c2ln`, ALL)))).toMatchObject({ code: 'ERR_JWS_INVALID', message: 'JWS Protected Header is invalid' });
    expect(described(failure(() => parseCompactJws(header({ alg: 'RS256', crit: ['exp'] }), ALL)))).toMatchObject({ code: 'ERR_JWS_INVALID', message: 'Unsupported JWS header parameter' });
    expect(described(failure(() => parseCompactJws(header({ alg: 'RS256', b64: true }), ALL)))).toMatchObject({ code: 'ERR_JWS_INVALID', message: 'Unsupported JWS header parameter' });
    for (const alg of [undefined, '', 256, ['RS256']]) {
      expect(failure(() => parseCompactJws(header({ alg }), ALL)).code).toBe('ERR_JWS_INVALID');
    }
    expect(described(failure(() => parseCompactJws(header({ alg: 'HS256' }), ALL)))).toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED', message: '"alg" (Algorithm) Header Parameter value not allowed' });
  });

  it('an empty signature only when allowed, so that alg none is refused by the allow-list', () => {
    const none = `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`;
    expect(failure(() => parseCompactJws(none, ALL)).code).toBe('ERR_JWS_INVALID');
    expect(failure(() => parseCompactJws(none, ALL, true)).code).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });
});

describe('decodeJsonObject', () => {
  it('a JSON object in strict UTF-8 only; the code and message are the caller\'s', () => {
    expect(decodeJsonObject(b64({ a: 1 }), 'ERR_JWT_INVALID', 'm')).toEqual({ a: 1 });
    for (const segment of [b64('[]'), b64('null'), b64('"s"'), b64('7'), b64('{'), Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')]) {
      expect(described(failure(() => decodeJsonObject(segment, 'ERR_JWT_INVALID', 'not claims')))).toMatchObject({ code: 'ERR_JWT_INVALID', message: 'not claims' });
    }
    expect(failure(() => decodeJsonObject(b64('[]'), 'ERR_JWS_INVALID', 'h')).code).toBe('ERR_JWS_INVALID');
  });

  it('decodeJwtClaims reads the payload segment with jose\'s message', () => {
    const jws = { header: { alg: 'RS256' }, signingInput: '', encodedPayload: b64([1]), encodedSignature: '' };
    expect(described(failure(() => decodeJwtClaims(jws)))).toMatchObject({ code: 'ERR_JWT_INVALID', message: 'JWT Claims Set must be a top-level JSON object' });
  });
});

describe('requireKeyFor and verifyJwsSignature', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });

  it('refuses an unknown algorithm, a private key, a key of another type, and an RSA key under 2048 bits', () => {
    expect(described(failure(() => requireKeyFor('HS256', rsa.publicKey)))).toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'alg HS256 is not supported' });
    expect(described(failure(() => requireKeyFor('toString', rsa.publicKey)))).toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'alg toString is not supported' });
    expect(described(failure(() => requireKeyFor('RS256', rsa.privateKey)))).toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'the key cannot verify RS256' });
    expect(described(failure(() => requireKeyFor('RS256', ec.publicKey)))).toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'the key cannot verify RS256' });
    expect(described(failure(() => requireKeyFor('ES384', ec.publicKey)))).toMatchObject({ message: 'the key cannot verify ES384' });
    expect(described(failure(() => requireKeyFor('PS256', small.publicKey)))).toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'PS256 requires key modulusLength to be 2048 bits or larger' });
    // Accepted once is remembered per algorithm: the same key still fails another algorithm.
    requireKeyFor('RS256', rsa.publicKey);
    requireKeyFor('RS256', rsa.publicKey);
    expect(failure(() => requireKeyFor('ES256', rsa.publicKey)).code).toBe('ERR_JOSE_NOT_SUPPORTED');
  });

  it('a signature that does not verify, or cannot be parsed, is ERR_JWS_SIGNATURE_VERIFICATION_FAILED', () => {
    const input = `${b64({ alg: 'ES256' })}.${b64({ sub: 'x' })}`;
    const der = cryptoSign('sha256', Buffer.from(input), ec.privateKey).toString('base64url');
    const raw = cryptoSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const parsed = (signature: string) => ({ header: { alg: 'ES256' }, signingInput: input, encodedPayload: '', encodedSignature: signature });
    verifyJwsSignature(parsed(raw), ec.publicKey);
    expect(described(failure(() => verifyJwsSignature(parsed(der), ec.publicKey)))).toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', message: 'signature verification failed' });
    expect(failure(() => verifyJwsSignature(parsed(''), ec.publicKey)).code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('PS256 with the salt as long as the digest (RFC 7518 §3.5), and an RSA-PSS key for PS* only', () => {
    const input = `${b64({ alg: 'PS256' })}.${b64({ sub: 'x' })}`;
    const sign = (saltLength: number, key: KeyObject = rsa.privateKey) =>
      cryptoSign('sha256', Buffer.from(input), { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength }).toString('base64url');
    const parsed = (signature: string, alg = 'PS256') => ({ header: { alg }, signingInput: input, encodedPayload: '', encodedSignature: signature });
    verifyJwsSignature(parsed(sign(32)), rsa.publicKey);
    expect(failure(() => verifyJwsSignature(parsed(sign(20)), rsa.publicKey)).code).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    verifyJwsSignature(parsed(sign(32, pss.privateKey)), pss.publicKey);
    expect(failure(() => requireKeyFor('RS256', pss.publicKey)).message).toBe('the key cannot verify RS256');
  });
});

describe('createClaimsCheck on a fixed clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T * 1000 + 500);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const check = (checks: Partial<ClaimChecks>, claims: Record<string, unknown>) => createClaimsCheck({ clockToleranceSeconds: 0, ...checks })(claims);
  const refused = (checks: Partial<ClaimChecks>, claims: Record<string, unknown>) => described(failure(() => check(checks, claims)));
  const claimError = (claim: string, reason: string, message: string) => ({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim, reason, message });

  it('exp: refused at exp = now - tolerance, accepted one second later', () => {
    expect(refused({}, { exp: T })).toEqual({ code: 'ERR_JWT_EXPIRED', message: '"exp" claim timestamp check failed', claim: 'exp', reason: 'check_failed' });
    check({}, { exp: T + 1 });
    expect(refused({ clockToleranceSeconds: 10 }, { exp: T - 10 }).code).toBe('ERR_JWT_EXPIRED');
    check({ clockToleranceSeconds: 10 }, { exp: T - 9 });
  });

  it('nbf: accepted at nbf = now + tolerance, refused one second later', () => {
    check({}, { nbf: T });
    expect(refused({}, { nbf: T + 1 })).toEqual(claimError('nbf', 'check_failed', 'unexpected "nbf" claim value'));
    check({ clockToleranceSeconds: 10 }, { nbf: T + 10 });
    expect(refused({ clockToleranceSeconds: 10 }, { nbf: T + 11 }).claim).toBe('nbf');
  });

  it('maximum age: accepted at age = max + tolerance, too old one second later; iat in the future beyond the tolerance', () => {
    check({ maxTokenAgeSeconds: 300, clockToleranceSeconds: 5 }, { iat: T - 305 });
    expect(refused({ maxTokenAgeSeconds: 300, clockToleranceSeconds: 5 }, { iat: T - 306 })).toEqual({
      code: 'ERR_JWT_EXPIRED',
      message: '"iat" claim timestamp check failed (too far in the past)',
      claim: 'iat',
      reason: 'check_failed',
    });
    check({ maxTokenAgeSeconds: 300, clockToleranceSeconds: 5 }, { iat: T + 5 });
    expect(refused({ maxTokenAgeSeconds: 300, clockToleranceSeconds: 5 }, { iat: T + 6 })).toEqual(claimError('iat', 'check_failed', 'unexpected "iat" claim value'));
    // Without a maximum age, a future iat is not checked (as jose).
    check({}, { iat: T + 3600 });
  });

  it('types: iat, nbf and exp must be numbers when present; iat is required with a maximum age', () => {
    for (const claim of ['iat', 'nbf', 'exp']) expect(refused({}, { [claim]: String(T) })).toEqual(claimError(claim, 'invalid', `"${claim}" claim must be a number`));
    expect(refused({ maxTokenAgeSeconds: 60 }, {})).toEqual(claimError('iat', 'missing', 'missing required "iat" claim'));
    expect(refused({}, { exp: null }).reason).toBe('invalid');
    check({}, {});
  });

  it('issuer and audience: one or several accepted, required when given', () => {
    check({ issuer: 'a' }, { iss: 'a' });
    check({ issuer: ['a', 'b'] }, { iss: 'b' });
    expect(refused({ issuer: ['a', 'b'] }, { iss: 'c' })).toEqual(claimError('iss', 'check_failed', 'unexpected "iss" claim value'));
    expect(refused({ issuer: 'a' }, {})).toEqual(claimError('iss', 'missing', 'missing required "iss" claim'));
    check({ audience: 'x' }, { aud: 'x' });
    check({ audience: 'x' }, { aud: ['w', 'x'] });
    check({ audience: ['x', 'y'] }, { aud: ['y'] });
    check({ audience: ['x', 'y'] }, { aud: 'y' });
    expect(refused({ audience: 'x' }, { aud: ['w'] })).toEqual(claimError('aud', 'check_failed', 'unexpected "aud" claim value'));
    expect(refused({ audience: 'x' }, { aud: 'w' }).claim).toBe('aud');
    expect(refused({ audience: 'x' }, { aud: { x: 1 } }).claim).toBe('aud');
    expect(refused({ audience: 'x' }, {})).toEqual(claimError('aud', 'missing', 'missing required "aud" claim'));
    // The given lists are copied: changing them afterwards changes nothing.
    const issuers = ['a'];
    const audiences = ['x'];
    const copied = createClaimsCheck({ clockToleranceSeconds: 0, issuer: issuers, audience: audiences });
    issuers.push('evil');
    audiences.push('evil');
    expect(failure(() => copied({ iss: 'evil', aud: 'x' })).claim).toBe('iss');
    expect(failure(() => copied({ iss: 'a', aud: 'evil' })).claim).toBe('aud');
  });

  it('presence in jose\'s order: iss, aud, iat (with a maximum age), then the required claims from the last', () => {
    const all = { issuer: 'a', audience: 'x', maxTokenAgeSeconds: 60, requiredClaims: ['jti', 'exp'] };
    expect(refused(all, {}).claim).toBe('iss');
    expect(refused(all, { iss: 'a' }).claim).toBe('aud');
    expect(refused(all, { iss: 'a', aud: 'x' }).claim).toBe('iat');
    expect(refused(all, { iss: 'a', aud: 'x', iat: T }).claim).toBe('exp');
    expect(refused(all, { iss: 'a', aud: 'x', iat: T, exp: T + 60 }).claim).toBe('jti');
    check(all, { iss: 'a', aud: 'x', iat: T, exp: T + 60, jti: 'j' });
    // Present means present: a claim set to null is there (its value is checked next).
    expect(refused({ requiredClaims: ['jti'] }, {}).reason).toBe('missing');
    check({ requiredClaims: ['jti'] }, { jti: null });
    // Inherited properties are not claims.
    expect(refused({ requiredClaims: ['toString'] }, {}).claim).toBe('toString');
  });

  it('values are checked in jose\'s order: iss before aud before the times', () => {
    expect(refused({ issuer: 'a', audience: 'x' }, { iss: 'b', aud: 'y', exp: T - 100 }).claim).toBe('iss');
    expect(refused({ issuer: 'a', audience: 'x' }, { iss: 'a', aud: 'y', exp: T - 100 }).claim).toBe('aud');
    expect(refused({}, { iat: 'x', nbf: 'y', exp: 'z' }).claim).toBe('iat');
    expect(refused({}, { nbf: T + 100, exp: T - 100 }).claim).toBe('nbf');
    expect(refused({ maxTokenAgeSeconds: 10 }, { iat: T - 100, exp: T - 100 }).claim).toBe('exp');
  });
});
