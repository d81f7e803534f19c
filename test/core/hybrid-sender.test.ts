/**
 * HybridSender (issue 16, phase 2: the survivors of src/session/hybrid-sender.ts): which session
 * field becomes the person's id, email and name (the identity every token then carries), and
 * what the act JWT and the act assertion it signs say, checked by verifying them with jose.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { HybridSender, UserSession } from '../../src/index.js';
import { auditLogger, markSensitive, rejection, thrown } from '../helpers/log-audit.js';
import { decodeJwt } from '../helpers/https-server.js';

const EMAIL = 'dana.sender@corp.example';
const OTHER_EMAIL = 'dana.other@corp.example';
const NAME = 'Dana Sender';
markSensitive(EMAIL, OTHER_EMAIL, NAME, 'Dana Other');
const AGENT = 'https://agent.example.com/invoke';
const API = 'https://api.example.com';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const sender = new HybridSender({ privateKey: rsa.privateKey, logger: auditLogger() });

describe('extractActFromSession: which field is whom', () => {
  it('email: email, then user_email, then userPrincipalName, then mail', () => {
    const all = { email: EMAIL, user_email: OTHER_EMAIL, userPrincipalName: OTHER_EMAIL, mail: OTHER_EMAIL, sub: 'u-1' };
    expect(sender.extractActFromSession(all).email).toBe(EMAIL);
    expect(sender.extractActFromSession({ ...all, email: undefined, user_email: EMAIL }).email).toBe(EMAIL);
    expect(sender.extractActFromSession({ userPrincipalName: EMAIL, mail: OTHER_EMAIL, sub: 'u-1' }).email).toBe(EMAIL);
    expect(sender.extractActFromSession({ email: '', mail: EMAIL, sub: 'u-1' }).email).toBe(EMAIL);
  });

  it('id: user_id, then sub, then oid, then uid; the email when none', () => {
    expect(sender.extractActFromSession({ email: EMAIL, user_id: 'id-a', sub: 'id-b', oid: 'id-c', uid: 'id-d' }).sub).toBe('id-a');
    expect(sender.extractActFromSession({ email: EMAIL, sub: 'id-b', oid: 'id-c', uid: 'id-d' }).sub).toBe('id-b');
    expect(sender.extractActFromSession({ email: EMAIL, oid: 'id-c', uid: 'id-d' }).sub).toBe('id-c');
    expect(sender.extractActFromSession({ email: EMAIL, uid: 'id-d' }).sub).toBe('id-d');
    expect(sender.extractActFromSession({ email: EMAIL, user_id: '' }).sub).toBe(EMAIL);
  });

  it('name: name, then display_name, then displayName; absent when none', () => {
    expect(sender.extractActFromSession({ email: EMAIL, sub: 's', name: NAME, display_name: 'Dana Other', displayName: 'Dana Other' }).name).toBe(NAME);
    expect(sender.extractActFromSession({ email: EMAIL, sub: 's', display_name: NAME, displayName: 'Dana Other' }).name).toBe(NAME);
    expect(sender.extractActFromSession({ email: EMAIL, sub: 's' })).toEqual({ sub: 's', email: EMAIL });
  });

  it('oid is kept only as a non-empty string', () => {
    expect(sender.extractActFromSession({ email: EMAIL, sub: 's', oid: '' })).toEqual({ sub: 's', email: EMAIL });
    expect(Object.keys(sender.extractActFromSession({ email: EMAIL, sub: 's', oid: 'oid-1' }))).toEqual(['sub', 'email', 'oid']);
  });

  it('a plain object with userEmail reads as a UserSession', () => {
    expect(sender.extractActFromSession({ userEmail: EMAIL, userName: NAME, userId: 'u-7', sub: 'ignored' })).toEqual({ sub: 'u-7', email: EMAIL, name: NAME });
  });

  it.each([
    ['an id that is not a string', { email: EMAIL, user_id: 42 }],
    ['a name that is not a string', { email: EMAIL, sub: 's', name: { first: 'Dana' } }],
    ['an email that is not a string', { email: 7 }],
  ])('refuses %s', (_name, session) => {
    const error = thrown(() => sender.extractActFromSession(session));
    expect([error.code, error.message]).toEqual(['ERR_INVALID_ARGUMENT', 'Session identity fields must be strings']);
  });

  it('refuses null, arrays and a UserSession-like object without an email', () => {
    for (const session of [null, [{ email: EMAIL }]]) {
      expect(thrown(() => sender.extractActFromSession(session as never)).message).toBe('Session must be UserSession or dictionary');
    }
    expect(thrown(() => sender.extractActFromSession({ userEmail: undefined, userId: 'u' })).message).toBe('Session must contain email');
  });
});

describe('prepareOutOfSessionAct', () => {
  it('the JWT verifies with the public key: the act, the agent as aud, iss/sub = issuer, exp = iat + ttl', async () => {
    const act = { sub: 'u-1' };
    const jwt = await new HybridSender({ privateKey: rsa.privateKey, issuer: 'finance-web' }).prepareOutOfSessionAct({ act, agentEndpoint: AGENT, ttlSeconds: 30 });
    markSensitive(jwt);
    const { payload, protectedHeader } = await jwtVerify(jwt, createPublicKey(rsa.privateKey), { algorithms: ['RS256'], audience: AGENT, issuer: 'finance-web' });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'finance-web', act });
    expect(payload.exp! - payload.iat!).toBe(30);
    expect(payload.nbf).toBeUndefined();
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it('ES256 signs with the EC key', async () => {
    const jwt = await new HybridSender({ privateKey: ec.privateKey, algorithm: 'ES256' }).prepareOutOfSessionAct({ act: { sub: 'u-1' }, agentEndpoint: AGENT });
    markSensitive(jwt);
    expect((await jwtVerify(jwt, ec.publicKey, { algorithms: ['ES256'] })).protectedHeader.alg).toBe('ES256');
  });

  it.each([
    ['a ttl of 0', { ttlSeconds: 0 }, 'ERR_CONFIGURATION'],
    ['a fractional ttl', { ttlSeconds: 1.5 }, 'ERR_CONFIGURATION'],
    ['an act that is an array', { act: [{ sub: 'u' }] }, 'ERR_INVALID_ACT'],
    ['no parameters', null, 'ERR_INVALID_ACT'],
    ['an endpoint that is not a string', { agentEndpoint: new URL(AGENT) }, 'ERR_INSECURE_URL'],
  ])('refuses %s', async (_name, extra, code) => {
    const params = extra === null ? null : { act: { sub: 'u' }, agentEndpoint: AGENT, ...extra };
    expect((await rejection(sender.prepareOutOfSessionAct(params as never))).code).toBe(code);
  });

  it('the positional form takes the ttl too', async () => {
    const jwt = await sender.prepareOutOfSessionAct({ sub: 'u' }, AGENT, 20);
    markSensitive(jwt);
    const { payload } = decodeJwt(jwt);
    expect((payload.exp as number) - (payload.iat as number)).toBe(20);
  });
});

describe('prepareActAssertion and publicJwks', () => {
  it('the assertion names the agent (azp), is for the API only by default, and carries the key thumbprint as kid', async () => {
    const assertion = await sender.prepareActAssertion({ act: { sub: 'u-1' }, agentId: 'finance-agent', apiAudience: API });
    markSensitive(assertion);
    const jwks = await sender.publicJwks();
    const [jwk] = jwks.keys;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: await calculateJwkThumbprint(await exportJWK(createPublicKey(rsa.privateKey))) });
    expect(jwk).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(assertion, createPublicKey(rsa.privateKey), { algorithms: ['RS256'], audience: API });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: jwk!.kid });
    expect(payload).toMatchObject({ iss: 'application', sub: 'application', aud: API, azp: 'finance-agent', act: { sub: 'u-1' } });
    expect(payload.exp! - payload.iat!).toBe(60);
    // The same set each time, a copy the caller may change.
    const again = await sender.publicJwks();
    expect(again).toEqual(jwks);
    expect(again.keys[0]).not.toBe(jwk);
  });

  it('with agentEndpoint: aud = [agent, API]; with kid and notBefore: those', async () => {
    const custom = new HybridSender({ privateKey: rsa.privateKey, kid: 'app-key-1', notBefore: true });
    const assertion = await custom.prepareActAssertion({ act: { sub: 'u-1' }, agentId: 'finance-agent', apiAudience: API, agentEndpoint: AGENT, ttlSeconds: 120 });
    markSensitive(assertion);
    const { header, payload } = decodeJwt(assertion);
    expect(header.kid).toBe('app-key-1');
    expect(payload.aud).toEqual([AGENT, API]);
    expect(payload.nbf).toBe(payload.iat);
    expect((payload.exp as number) - (payload.iat as number)).toBe(120);
    expect((await custom.publicJwks()).keys[0]!.kid).toBe('app-key-1');
  });

  it.each([
    ['no agentId', { agentId: '' }, 'agentId is required'],
    ['an agentId that is not a string', { agentId: 7 }, 'agentId is required'],
    ['no apiAudience', { apiAudience: '' }, 'apiAudience is required'],
    ['an apiAudience that is not a string', { apiAudience: [API] }, 'apiAudience is required'],
    ['an http agent endpoint', { agentEndpoint: 'http://agent.example.com' }, 'Agent endpoint must use HTTPS for security'],
    ['an act without sub', { act: { email: EMAIL } }, "Act must contain 'sub' field"],
  ])('refuses %s', async (_name, extra, message) => {
    const error = await rejection(sender.prepareActAssertion({ act: { sub: 'u-1' }, agentId: 'finance-agent', apiAudience: API, ...(extra as object) }));
    expect(error.message).toBe(message);
  });

  it('without a key: the assertion and the key set are refused', async () => {
    const inSessionOnly = new HybridSender();
    for (const pending of [inSessionOnly.prepareActAssertion({ act: { sub: 'u' }, agentId: 'a', apiAudience: API }), inSessionOnly.publicJwks()]) {
      expect((await rejection(pending)).code).toBe('ERR_KEY_LOAD');
    }
  });

  it('refuses an unknown algorithm, and a key of another type than the algorithm', () => {
    expect(thrown(() => new HybridSender({ privateKey: rsa.privateKey, algorithm: 'HS256' as never })).message).toBe("algorithm must be 'RS256', 'ES256' or 'EdDSA'");
    expect(thrown(() => new HybridSender({ privateKey: rsa.privateKey, algorithm: 'ES256' })).message).toBe('Cannot load private key: ValueError');
  });
});
