/**
 * createDualSubjectVerifier refuses a wrong option at construction, never at the first request:
 * each refusal's code and message (the message names the option and what is wrong, never a key).
 * And the WebCrypto keys it accepts verify only the algorithm they were made for (as jose).
 * Issue 16: these messages were not asserted, so a changed check or text passed.
 */
import { generateKeyPairSync, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import { exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDualSubjectVerifier, httpStatusFor, type VerifyOptions } from '../../src/verify/index.js';
import { rejection, thrown } from '../helpers/log-audit.js';

const ISSUER = 'https://iam.example.test/realms/r';
const AUDIENCE = 'https://api.example.test';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const base = { vendor: 'keycloak', issuer: ISSUER, audience: AUDIENCE, key: rsa.publicKey } as VerifyOptions;

function refusal(options: unknown): { code: string | undefined; message: string } {
  const error = thrown(() => createDualSubjectVerifier(options as VerifyOptions));
  return { code: error.code, message: error.message };
}
const configuration = (message: string) => ({ code: 'ERR_CONFIGURATION', message });

describe('options refused at construction', () => {
  it('no options, an unknown vendor', () => {
    for (const options of [undefined, null, 'keycloak']) expect(refusal(options)).toEqual(configuration('verify options are required'));
    for (const vendor of ['nope', 'toString', undefined]) expect(refusal({ ...base, vendor })).toEqual(configuration('vendor must be one of: keycloak, auth0, okta, entraid'));
  });

  it('issuer and audience: a non-empty string or a non-empty array of them', () => {
    for (const name of ['issuer', 'audience']) {
      for (const value of ['', [], [''], ['a', 5], 5, undefined]) {
        expect(refusal({ ...base, [name]: value })).toEqual(configuration(`${name} must be a non-empty string or array of strings`));
      }
    }
    expect(() => createDualSubjectVerifier({ ...base, issuer: ['a', 'b'], audience: ['x', 'y'] })).not.toThrow();
  });

  it('keys: one of key or jwksUri; no default JWKS location for an issuer list or an unknown Entra issuer', () => {
    expect(refusal({ ...base, jwksUri: 'https://iam.example.test/jwks' })).toEqual(configuration('give either key or jwksUri, not both'));
    const noKey = { ...base, key: undefined };
    const required = configuration('jwksUri (or key) is required: no default JWKS location for this issuer');
    expect(refusal({ ...noKey, issuer: [ISSUER] })).toEqual(required);
    expect(refusal({ ...noKey, vendor: 'entraid', issuer: 'https://login.example.test/tenant' })).toEqual(required);
    expect(refusal({ ...noKey, jwksUri: '' })).toEqual(required);
    // A vendor's default location under a single issuer needs no jwksUri.
    expect(() => createDualSubjectVerifier(noKey)).not.toThrow();
  });

  it('layout and agents', () => {
    for (const layout of ['bogus', [], ['act', 'x'], 5]) {
      expect(refusal({ ...base, layout })).toEqual(configuration("layout must be 'act', 'delegated', 'assertion' or a non-empty array of them"));
    }
    for (const agents of [[], [''], 'agent-1', [7]]) expect(refusal({ ...base, agents })).toEqual(configuration('agents must be a non-empty array of client ids'));
    for (const vendor of ['okta', 'entraid']) {
      expect(refusal({ ...base, vendor, layout: 'delegated' })).toEqual(
        configuration(`${vendor}: the delegated layout needs agents (the agent client ids): its On-Behalf-Of tokens name the agent only as the client, like the person's own login token`),
      );
      expect(() => createDualSubjectVerifier({ ...base, vendor: vendor as 'okta', layout: 'delegated', agents: ['agent-1'] })).not.toThrow();
    }
    expect(() => createDualSubjectVerifier({ ...base, layout: 'delegated' })).not.toThrow();
  });

  it('algorithms: a non-empty list of names; none and HS* never', () => {
    for (const algorithms of [[], 'RS256', [''], [5]]) expect(refusal({ ...base, algorithms })).toEqual(configuration('algorithms must be a non-empty array of JWS algorithm names'));
    for (const alg of ['none', 'NONE', 'HS256', 'hs512']) expect(refusal({ ...base, algorithms: ['RS256', alg] })).toEqual(configuration(`algorithm ${alg} is not allowed for access-token verification`));
  });

  it('a given key: public only, of a known form, large enough', async () => {
    const keyError = (key: unknown) => refusal({ ...base, key });
    for (const key of [42, {}, { keys: 'x' }, true]) expect(keyError(key)).toEqual(configuration('key must be a public KeyObject, CryptoKey, JWK, JWK Set or PEM text'));
    expect(keyError({ keys: [null] })).toEqual(configuration('key set holds an invalid JWK'));
    expect(keyError({ keys: [{ n: 'x' }] })).toEqual(configuration('key set holds an invalid JWK'));
    expect(keyError({ kty: 'oct', k: 'c2VjcmV0' })).toEqual(configuration('symmetric (oct) keys are not accepted for access-token verification'));
    const privateJwk = await exportJWK(rsa.privateKey);
    for (const part of ['d', 'p', 'q']) {
      expect(keyError({ kty: 'RSA', n: privateJwk.n, e: privateJwk.e, [part]: 'AQAB' })).toEqual(configuration('JWK must be a public key, not a private key'));
      expect(keyError({ keys: [{ kty: 'RSA', n: privateJwk.n, e: privateJwk.e, [part]: 'AQAB' }] })).toEqual(configuration('JWK must be a public key, not a private key'));
    }
    expect(keyError('not pem')).toEqual(configuration('key must be PEM text (a public key or certificate)'));
    expect(keyError(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }))).toEqual(configuration('key must be a public key, not a private key'));
    expect(keyError(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }))).toEqual(configuration('key must be a public key, not a private key'));
    expect(keyError('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toEqual({ code: 'ERR_KEY_LOAD', message: 'key could not be loaded as a public key' });
    expect(keyError(rsa.privateKey)).toEqual(configuration('key must be a public key'));
    const webPair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    expect(keyError(webPair.privateKey)).toEqual(configuration('key must be a public key'));
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(keyError(small.publicKey)).toEqual({ code: 'ERR_KEY_LOAD', message: 'key: RSA keys must be 2048 bits or larger (this one has 1024)' });
    expect(keyError(small.publicKey.export({ type: 'spki', format: 'pem' }))).toEqual({ code: 'ERR_KEY_LOAD', message: 'key: RSA keys must be 2048 bits or larger (this one has 1024)' });
    // The assertion key's messages name its own option.
    expect(refusal({ ...base, layout: 'assertion', actAssertionKey: 'not pem' })).toEqual(configuration('actAssertionKey must be PEM text (a public key or certificate)'));
  });
});

describe('a WebCrypto key verifies only the algorithm it was made for', () => {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = () => {
    const t = Math.floor(Date.now() / 1000);
    return { iss: ISSUER, aud: AUDIENCE, sub: 'sa', azp: 'agent-1', iat: t, exp: t + 300, act: { sub: 'user-1' } };
  };
  function token(alg: string, key: KeyObject): string {
    const input = `${b64({ alg })}.${b64(claims())}`;
    const bits = alg.slice(2);
    const digest = alg === 'EdDSA' || alg === 'Ed25519' ? null : `sha${bits}`;
    const options = alg.startsWith('PS') ? { key, padding: 6, saltLength: Number(bits) / 8 } : alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
    return `${input}.${cryptoSign(digest, Buffer.from(input), options).toString('base64url')}`;
  }

  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const cases: Array<[string, webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams, string[], string[]]> = [
    ['RSASSA-PKCS1-v1_5 SHA-256', { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ['RS256'], ['RS384', 'PS256']],
    ['RSA-PSS SHA-384', { name: 'RSA-PSS', hash: 'SHA-384' }, ['PS384'], ['PS256', 'RS384']],
    ['ECDSA P-256', { name: 'ECDSA', namedCurve: 'P-256' }, ['ES256'], ['ES384']],
    ['Ed25519', { name: 'Ed25519' }, ['EdDSA', 'Ed25519'], ['ES256']],
  ];
  for (const [name, algorithm, accepted, refused] of cases) {
    it(name, async () => {
      const pair = name.startsWith('ECDSA') ? p256 : name === 'Ed25519' ? generateKeyPairSync('ed25519') : rsa;
      const cryptoKey = await webcrypto.subtle.importKey('spki', pair.publicKey.export({ type: 'spki', format: 'der' }), algorithm, false, ['verify']);
      const verify = createDualSubjectVerifier({ ...base, key: cryptoKey as never });
      for (const alg of accepted) expect((await verify(token(alg, pair.privateKey))).human.id).toBe('user-1');
      for (const alg of refused) {
        // Signed with a key that fits the algorithm (the refusal is the CryptoKey's, not the signature's).
        const signer = alg === 'ES384' ? p384.privateKey : alg === 'ES256' ? p256.privateKey : rsa.privateKey;
        const error = await rejection(verify(token(alg, signer)));
        expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({ code: 'ERR_TOKEN_INVALID', message: 'Access token uses an unsupported algorithm or key', status: 401 });
      }
    });
  }

  it('a WebCrypto public key imported without the verify usage verifies nothing', async () => {
    const cryptoKey = await webcrypto.subtle.importKey('spki', rsa.publicKey.export({ type: 'spki', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, []);
    const error = await rejection(createDualSubjectVerifier({ ...base, key: cryptoKey as never })(token('RS256', rsa.privateKey)));
    expect(error.message).toBe('Access token uses an unsupported algorithm or key');
  });
});
