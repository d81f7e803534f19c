/**
 * What a refused token or act assertion is answered with: the DualAuthError's code, its fixed
 * message (the `error_description` an API sends back) and the HTTP status, for every check the
 * verifier makes, on both paths (the access token and the X-Act-Assertion). Tokens are signed
 * by hand with node:crypto over exactly the claims given, so each check is reached alone.
 * Keys are given to the verifier directly (no server needed); the key-set messages use jose's
 * local key sets. Issue 16: the messages were not asserted, so a changed text passed.
 */
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { exportJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import { JwtCheckError } from '../../src/jwt/verify.js';
import { mapVerifyError } from '../../src/verify/errors.js';
import { createDualSubjectVerifier, httpStatusFor, type VerifyOptions } from '../../src/verify/index.js';
import { rejection } from '../helpers/log-audit.js';

const ISSUER = 'https://iam.example.test/realms/r';
const AUDIENCE = 'https://api.example.test';
const AGENT = 'finance-agent';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** A compact JWS over exactly these header and claims (RS256 with `key` unless the header says ES256). */
function jws(claims: unknown, key: KeyObject = rsa.privateKey, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = header.alg === 'ES256' ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

function tokenClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const t = now();
  return { iss: ISSUER, aud: AUDIENCE, sub: 'service-account-1', azp: AGENT, iat: t, exp: t + 300, act: { sub: 'user-7' }, ...extra };
}

function verifier(extra: Partial<VerifyOptions> = {}) {
  return createDualSubjectVerifier({ vendor: 'keycloak', issuer: ISSUER, audience: AUDIENCE, key: rsa.publicKey, clockToleranceSeconds: 0, ...extra });
}

async function refusedWith(promise: Promise<unknown>, code: string, message: string, status = 401): Promise<DualAuthError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(DualAuthError);
  expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({ code, message, status });
  return error as DualAuthError;
}

const without = (claims: Record<string, unknown>, name: string): Record<string, unknown> => {
  const copy = { ...claims };
  delete copy[name];
  return copy;
};

/** A token made by `make` with a padding claim sized so that the token is exactly `length` characters. */
function ofLength(length: number, make: (pad: string) => string): string {
  // Each padding byte adds 4/3 of a base64url character: start near the estimate and try a few sizes.
  const estimate = Math.floor(((length - make('').length) * 3) / 4);
  for (let n = Math.max(0, estimate - 4); n <= estimate + 4; n++) {
    const token = make('p'.repeat(n));
    if (token.length === length) return token;
  }
  throw new Error(`no token of exactly ${length} characters`);
}

describe('the access token: code, message and status of each refusal', () => {
  const cases: Array<[string, () => unknown, string, string, Partial<VerifyOptions>?]> = [
    ['no token', () => undefined, 'ERR_TOKEN_MISSING', 'Access token is missing'],
    ['an empty token', () => '', 'ERR_TOKEN_MISSING', 'Access token is missing'],
    ['a token that is not a string', () => 42, 'ERR_TOKEN_INVALID', 'Access token is malformed'],
    ['a token of 16 KiB + 1', () => `${jws(tokenClaims())}${'A'.repeat(16 * 1024)}`.slice(0, 16 * 1024 + 1), 'ERR_TOKEN_INVALID', 'Access token is malformed'],
    ['two segments', () => 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0', 'ERR_TOKEN_INVALID', 'Access token is malformed'],
    ['claims that are a JSON array', () => jws([1, 2]), 'ERR_TOKEN_INVALID', 'Access token is malformed'],
    ['an algorithm outside the allow-list', () => jws(tokenClaims(), ec.privateKey, { alg: 'ES256' }), 'ERR_TOKEN_INVALID', 'Access token signing algorithm is not allowed', { algorithms: ['RS256'] }],
    ['an RS256 token for an EC key', () => jws(tokenClaims()), 'ERR_TOKEN_INVALID', 'Access token uses an unsupported algorithm or key', { key: ec.publicKey }],
    ['a signature by another key', () => jws(tokenClaims(), app.privateKey), 'ERR_TOKEN_INVALID', 'Access token signature verification failed'],
    ['no iss', () => jws(without(tokenClaims(), 'iss')), 'ERR_TOKEN_INVALID', 'Access token lacks a required claim (iss)'],
    ['another iss', () => jws(tokenClaims({ iss: 'https://evil.example.test' })), 'ERR_TOKEN_INVALID', 'Access token issuer is not accepted'],
    ['no aud', () => jws(without(tokenClaims(), 'aud')), 'ERR_TOKEN_INVALID', 'Access token lacks a required claim (aud)'],
    ['another aud', () => jws(tokenClaims({ aud: 'https://other.example.test' })), 'ERR_TOKEN_INVALID', 'Access token audience is not accepted'],
    ['an iat that is not a number', () => jws(tokenClaims({ iat: 'now' })), 'ERR_TOKEN_INVALID', 'Access token issued-at (iat) is invalid'],
    ['an nbf in the future', () => jws(tokenClaims({ nbf: now() + 60 })), 'ERR_TOKEN_INVALID', 'Access token is not yet valid (nbf)'],
    ['an nbf that is not a number', () => jws(tokenClaims({ nbf: 'soon' })), 'ERR_TOKEN_INVALID', 'Access token is not yet valid (nbf)'],
    ['an exp that is not a number', () => jws(tokenClaims({ exp: 'later' })), 'ERR_TOKEN_INVALID', 'Access token expiry (exp) is invalid'],
    ['an exp in the past', () => jws(tokenClaims({ exp: now() - 1 })), 'ERR_TOKEN_EXPIRED', 'Access token has expired'],
    ['no exp', () => jws(without(tokenClaims(), 'exp')), 'ERR_TOKEN_INVALID', 'Access token lacks a required claim (exp)'],
    ['no agent', () => jws(without(tokenClaims(), 'azp')), 'ERR_TOKEN_INVALID', 'Access token names no agent (client id)'],
  ];
  for (const [name, make, code, message, extra] of cases) {
    it(`${name}: ${code}, "${message}"`, async () => {
      await refusedWith(verifier(extra)(make() as string), code, message);
    });
  }

  it('a token read from a key set: an unknown kid, and a kid-less token that two keys match', async () => {
    const one = { ...(await exportJWK(rsa.publicKey)), kid: 'one', alg: 'RS256' };
    await refusedWith(verifier({ key: { keys: [one] } })(jws(tokenClaims(), rsa.privateKey, { alg: 'RS256', kid: 'two' })), 'ERR_TOKEN_INVALID', 'Access token is signed with a key the issuer does not publish');
    const twins = { keys: [{ ...one, kid: undefined }, { ...(await exportJWK(app.publicKey)), alg: 'RS256' }] };
    await refusedWith(verifier({ key: twins })(jws(tokenClaims())), 'ERR_TOKEN_INVALID', 'Access token matches several keys in the key set');
  });

  it('a valid token of exactly 16 KiB is verified (the limit is inclusive)', async () => {
    const token = ofLength(16 * 1024, (pad) => jws(tokenClaims({ pad })));
    expect((await verifier()(token)).human.id).toBe('user-7');
  });

  it('keeps the JwtCheckError as the cause of a claim refusal (it holds no claims)', async () => {
    const error = await refusedWith(verifier()(jws(tokenClaims({ aud: 'x' }))), 'ERR_TOKEN_INVALID', 'Access token audience is not accepted');
    expect(error.cause).toBeInstanceOf(JwtCheckError);
    expect((error.cause as JwtCheckError).claim).toBe('aud');
  });
});

describe('the act assertion: code, message and status of each refusal', () => {
  const agentToken = (): string => jws(tokenClaims({ act: undefined }));
  const assertionClaims = (extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const t = now();
    return { aud: AUDIENCE, azp: AGENT, iat: t, exp: t + 60, jti: 'j-1', act: { sub: 'user-7' }, ...extra };
  };
  let assertionVerifier: ReturnType<typeof verifier>;
  beforeAll(() => {
    assertionVerifier = verifier({ layout: 'assertion', actAssertionKey: app.publicKey });
  });
  const verifyWith = (assertion: unknown) => assertionVerifier(agentToken(), { actAssertion: assertion as string });

  const cases: Array<[string, () => unknown, string, string]> = [
    ['a non-string assertion', () => 7, 'ERR_ACT_ASSERTION_INVALID', 'Act assertion is malformed'],
    ['an assertion of 16 KiB + 1', () => 'A'.repeat(16 * 1024 + 1), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion is malformed'],
    ['a signature by the IAM key', () => jws(assertionClaims(), rsa.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion signature verification failed'],
    ['an expired assertion', () => jws({ ...assertionClaims(), iat: now() - 100, exp: now() - 1 }, app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion has expired'],
    ['an assertion older than its maximum age', () => jws({ ...assertionClaims(), iat: now() - 301, exp: now() + 60 }, app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion is too old (iat)'],
    ['an assertion issued in the future', () => jws({ ...assertionClaims(), iat: now() + 100, exp: now() + 160 }, app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion issued-at (iat) is invalid'],
    ['no iat', () => jws(without(assertionClaims(), 'iat'), app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion lacks a required claim (iat)'],
    ['a lifetime over 300 s', () => jws({ ...assertionClaims(), exp: now() + 301 }, app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion lifetime is too long'],
    ['another agent', () => jws(assertionClaims({ azp: 'other-agent' }), app.privateKey), 'ERR_ACT_ASSERTION_AGENT_MISMATCH', 'Act assertion names another agent'],
    ['no agent', () => jws(without(assertionClaims(), 'azp'), app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion names no agent (azp)'],
    ['no act', () => jws(without(assertionClaims(), 'act'), app.privateKey), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion has no act claim'],
  ];
  it('a missing assertion: ERR_ACT_ASSERTION_MISSING', async () => {
    await refusedWith(verifyWith(undefined), 'ERR_ACT_ASSERTION_MISSING', 'X-Act-Assertion is missing');
  });
  for (const [name, make, code, message] of cases) {
    it(`${name}: ${code}, "${message}"`, async () => {
      await refusedWith(verifyWith(make()), code, message);
    });
  }
  it('a valid assertion of exactly 16 KiB is verified (the limit is inclusive)', async () => {
    const assertion = ofLength(16 * 1024, (pad) => jws(assertionClaims({ pad }), app.privateKey));
    expect((await verifyWith(assertion)).human.id).toBe('user-7');
  });
  it('the lifetime bound is the maximum age plus the tolerance, inclusive', async () => {
    const tolerant = verifier({ layout: 'assertion', actAssertionKey: app.publicKey, clockToleranceSeconds: 5, actAssertionMaxAgeSeconds: 100 });
    const t = now();
    const at = (exp: number) => tolerant(agentToken(), { actAssertion: jws({ ...assertionClaims(), iat: t, exp }, app.privateKey) });
    expect((await at(t + 105)).human.id).toBe('user-7');
    await refusedWith(at(t + 106), 'ERR_ACT_ASSERTION_INVALID', 'Act assertion lifetime is too long');
  });
});

describe('mapVerifyError: the errors only a remote key set raises, and causes', () => {
  const joseError = (code: unknown, extra: Record<string, unknown> = {}) => Object.assign(new Error('jose'), { code, ...extra });

  it('JWKS failures are ERR_JWKS_UNAVAILABLE (503) for both subjects, with the cause kept', () => {
    for (const [code, message] of [
      ['ERR_JWKS_TIMEOUT', 'JWKS request timed out'],
      ['ERR_JOSE_GENERIC', 'JWKS could not be loaded'],
      ['ERR_JWKS_INVALID', 'JWKS could not be loaded'],
    ] as const) {
      for (const subject of ['token', 'assertion'] as const) {
        const cause = joseError(code);
        const error = mapVerifyError(cause, subject);
        expect({ code: error.code, message: error.message, status: httpStatusFor(error), cause: error.cause }).toEqual({ code: 'ERR_JWKS_UNAVAILABLE', message, status: 503, cause });
      }
    }
  });

  it('an error that carries the claims set (jose\'s claim errors) is never kept as the cause; others are', () => {
    const withClaims = mapVerifyError(joseError('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'aud', reason: 'check_failed', payload: { act: { email: 'a@b' } } }), 'token');
    expect(withClaims.message).toBe('Access token audience is not accepted');
    expect(withClaims.cause).toBeUndefined();
    const plain = joseError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect(mapVerifyError(plain, 'assertion').cause).toBe(plain);
  });

  it('anything else "could not be verified"; a claim outside the known ones "has an invalid claim"; a missing claim name keeps letters and _ only', () => {
    expect(mapVerifyError(new TypeError('boom'), 'token').message).toBe('Access token could not be verified');
    expect(mapVerifyError(joseError(5), 'assertion')).toMatchObject({ code: 'ERR_ACT_ASSERTION_INVALID', message: 'Act assertion could not be verified' });
    expect(mapVerifyError(null, 'token')).toMatchObject({ code: 'ERR_TOKEN_INVALID', message: 'Access token could not be verified' });
    expect(mapVerifyError(joseError('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'cnf', reason: 'check_failed' }), 'token').message).toBe('Access token has an invalid claim');
    expect(mapVerifyError(joseError('ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'x_y-1 "z"', reason: 'missing' }), 'token').message).toBe('Access token lacks a required claim (x_yz)');
    expect(mapVerifyError(joseError('ERR_JWT_CLAIM_VALIDATION_FAILED', { reason: 'missing' }), 'token').message).toBe('Access token lacks a required claim ()');
  });

  it('an expired access token is ERR_TOKEN_EXPIRED; an expired assertion stays ERR_ACT_ASSERTION_INVALID', () => {
    expect(mapVerifyError(joseError('ERR_JWT_EXPIRED', { claim: 'exp' }), 'token')).toMatchObject({ code: 'ERR_TOKEN_EXPIRED', message: 'Access token has expired' });
    expect(mapVerifyError(joseError('ERR_JWT_EXPIRED', { claim: 'iat' }), 'token')).toMatchObject({ code: 'ERR_TOKEN_EXPIRED', message: 'Access token is too old (iat)' });
    expect(mapVerifyError(joseError('ERR_JWT_EXPIRED', { claim: 'exp' }), 'assertion')).toMatchObject({ code: 'ERR_ACT_ASSERTION_INVALID', message: 'Act assertion has expired' });
  });

  it('a DualAuthError passes through as it is', () => {
    const error = new DualAuthError('Verification aborted', 'ERR_ABORTED');
    expect(mapVerifyError(error, 'token')).toBe(error);
    expect(httpStatusFor(error)).toBe(503);
    expect(httpStatusFor(new Error('x'))).toBe(500);
    expect(httpStatusFor(new DualAuthError('x', 'ERR_CONFIGURATION'))).toBe(500);
  });
});
