/**
 * The vocabulary of src/domain on its own (issue 16, module domain): what an act must hold, what of
 * it may be logged, the jtis a sender makes, and how secrets and tokens print.
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { actForLogging, hasSub, humanIdForLogging, validateAct } from '../../src/domain/act.js';
import { newJti, nowSeconds } from '../../src/domain/jti.js';
import { CLIENT_SECRET, REDACTED, RedactedSecret, boxedClientSecret } from '../../src/domain/redaction.js';
import { TokenResponse } from '../../src/domain/token-response.js';
import { UserSession } from '../../src/domain/user-session.js';
import { markSensitive, thrown } from '../helpers/log-audit.js';

const pseudonym = (value: string) => `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;

describe('act: what is checked, what may be logged', () => {
  it('an IAM id is logged as it is; an email-like sub only as a stable pseudonym; anything else not at all', () => {
    expect(humanIdForLogging('f1234567-89ab')).toBe('f1234567-89ab');
    expect(humanIdForLogging('alice@corp.example.com')).toBe(pseudonym('alice@corp.example.com'));
    expect(humanIdForLogging('alice@corp.example.com')).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(humanIdForLogging(42)).toBeUndefined();
    expect(humanIdForLogging(undefined)).toBeUndefined();
  });

  it('actForLogging keeps the identifiers (pseudonymised where they are emails) and the field names, never email or name', () => {
    const act = { sub: 'alice@corp.example.com', email: 'alice@corp.example.com', name: 'Alice Smith', user_id: 'bob@corp.example.com', oid: 'oid-7' };
    expect(actForLogging(act)).toEqual({
      human_id: pseudonym('alice@corp.example.com'),
      fields_present: ['sub', 'email', 'name', 'user_id', 'oid'],
      user_id: pseudonym('bob@corp.example.com'),
      oid: 'oid-7',
    });
    // No user_id or oid in the act: none in the record either.
    expect(actForLogging({ sub: 'user-42', name: 'Alice Smith' })).toEqual({ human_id: 'user-42', fields_present: ['sub', 'name'] });
  });

  it('validateAct refuses each malformed act with the reference text (ERR_INVALID_ACT)', () => {
    const refusals: Array<[unknown, string]> = [
      [null, 'Act claim cannot be empty'],
      ['user-42', 'Act claim cannot be empty'],
      [['user-42'], 'Act claim cannot be empty'],
      [{}, 'Act claim cannot be empty'],
      [{ email: 'alice@corp.example.com' }, "Act claim must contain 'sub' field"],
      [{ sub: '' }, "Act claim 'sub' field cannot be empty"],
      [{ sub: 0 }, "Act claim 'sub' field cannot be empty"],
      [{ sub: 42 }, "Act claim 'sub' field must be a string"],
      [{ sub: ['user-42'] }, "Act claim 'sub' field must be a string"],
    ];
    for (const [act, message] of refusals) {
      const error = thrown(() => validateAct(act));
      expect([act, error.code, error.message]).toEqual([act, 'ERR_INVALID_ACT', message]);
    }
    expect(() => validateAct({ sub: 'user-42' })).not.toThrow();
  });

  it('hasSub: an object (not an array) with a non-empty sub', () => {
    expect(hasSub({ sub: 'user-42' })).toBe(true);
    for (const act of [null, undefined, 'user-42', {}, { sub: '' }, { email: 'a@b.c' }, Object.assign(['x'], { sub: 'user-42' })]) {
      expect([act, hasSub(act)]).toEqual([act, false]);
    }
  });
});

describe('jti and clock', () => {
  it('newJti: 43 URL-safe base64 characters (32 random bytes), never twice, across pool refills', () => {
    const jtis = Array.from({ length: 300 }, () => newJti());
    for (const jti of jtis) expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(jtis).size).toBe(300);
  });

  it('nowSeconds: whole seconds since the epoch, rounded down', () => {
    const before = Math.floor(Date.now() / 1000);
    const now = nowSeconds();
    const after = Math.floor(Date.now() / 1000);
    expect(Number.isInteger(now)).toBe(true);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });
});

describe('printing never shows a secret', () => {
  const secret = 'domain-test-secret-value';
  markSensitive(secret);

  it('RedactedSecret prints as ***REDACTED*** by every route and reveals the value on request', () => {
    const boxed = new RedactedSecret(secret);
    expect(boxed.reveal()).toBe(secret);
    expect([String(boxed), `${boxed}`, JSON.stringify({ boxed }), inspect(boxed), inspect(boxed, { showHidden: true })]).toEqual([
      REDACTED,
      REDACTED,
      `{"boxed":"${REDACTED}"}`,
      REDACTED,
      REDACTED,
    ]);
  });

  it('boxedClientSecret: the value of a boxed secret (any copy of the package: duck-typed), else undefined', () => {
    expect(boxedClientSecret({ [CLIENT_SECRET]: new RedactedSecret(secret) })).toBe(secret);
    expect(boxedClientSecret({ ...{ [CLIENT_SECRET]: new RedactedSecret(secret) } })).toBe(secret);
    expect(boxedClientSecret({ [CLIENT_SECRET]: { reveal: () => secret } })).toBe(secret);
    expect(boxedClientSecret({ [CLIENT_SECRET]: { reveal: secret } })).toBeUndefined();
    expect(boxedClientSecret({ [CLIENT_SECRET]: secret })).toBeUndefined();
    expect(boxedClientSecret({ clientSecret: secret })).toBeUndefined();
  });

  it('TokenResponse prints as the Python repr, tokens redacted, and a spread copy carries no token', () => {
    const accessToken = 'eyJhbGciOiJSUzI1NiJ9.domain-test-access.token';
    const actAssertion = 'eyJhbGciOiJSUzI1NiJ9.domain-test-assertion.token';
    markSensitive(accessToken, actAssertion);
    const withAssertion = new TokenResponse({ accessToken, tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read', actAssertion });
    const plain = new TokenResponse({ accessToken, tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read' });
    expect([withAssertion.accessToken, withAssertion.actAssertion, plain.actAssertion]).toEqual([accessToken, actAssertion, undefined]);
    expect(String(withAssertion)).toBe(`TokenResponse(token_type=Bearer, expires_in=300, scope=finance.read, access_token=${REDACTED}, act_assertion=${REDACTED})`);
    expect(inspect(plain)).toBe(`TokenResponse(token_type=Bearer, expires_in=300, scope=finance.read, access_token=${REDACTED}, act_assertion=None)`);
    expect(JSON.parse(JSON.stringify(withAssertion))).toEqual({ tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read', accessToken: REDACTED, actAssertion: REDACTED });
    expect(JSON.parse(JSON.stringify(plain))).toEqual({ tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read', accessToken: REDACTED });
    expect({ ...withAssertion }).toEqual({ tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read' });
  });

  it("UserSession: Python-style or an object; the person's own token only through its getter", () => {
    const subjectToken = 'eyJhbGciOiJSUzI1NiJ9.domain-test-subject.token';
    markSensitive(subjectToken);
    const positional = new UserSession('alice@corp.example.com', 'Alice Smith', 'user-42');
    expect([positional.userEmail, positional.userName, positional.userId]).toEqual(['alice@corp.example.com', 'Alice Smith', 'user-42']);
    // A spread copy carries nothing: the email, the name and the id (possibly an email) are private fields.
    expect({ ...positional }).toEqual({});
    expect([positional.subjectToken, positional.subjectTokenType]).toEqual([undefined, undefined]);
    const session = new UserSession({ userEmail: 'alice@corp.example.com', userId: 'user-42', subjectToken, subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt' });
    expect([session.subjectToken, session.subjectTokenType]).toEqual([subjectToken, 'urn:ietf:params:oauth:token-type:jwt']);
    expect(JSON.stringify(session)).not.toContain(subjectToken);
    expect(inspect(session, { showHidden: true })).not.toContain(subjectToken);
  });
});
