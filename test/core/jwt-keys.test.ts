/**
 * src/jwt's key handling, one rule at a time: which key type signs which algorithm, the RSA size
 * bound (2048 bits inclusive, for KeyObjects, RSA-PSS keys and WebCrypto keys), the key-load
 * errors the reference names by Python class with their hints (every class, as reading a key file
 * can fail), the client-secret key's bytes, `ath`, and what signCompact refuses. Issue 16: these
 * branches were only reached through happy paths, so their mutants survived.
 */
import { createHash, createHmac, generateKeyPairSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeAth } from '../../src/jwt/ath.js';
import { signCompact } from '../../src/jwt/compact.js';
import {
  algorithmForKey,
  clientSecretKey,
  keyFitsAlgorithm,
  keyLoadError,
  loadPrivateKey,
  loadSigningKey,
  MIN_RSA_MODULUS_BITS,
  pythonFileErrorName,
  smallRsaKeyMessage,
  smallRsaModulus,
} from '../../src/jwt/keys.js';
import { thrown } from '../helpers/log-audit.js';

const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');

describe('key types and algorithms', () => {
  it('RSA signs RS256, EC P-256 signs ES256, Ed25519 signs EdDSA; nothing else fits', () => {
    expect([rsa2048, ec256, ec384, ed].map(({ publicKey }) => algorithmForKey(publicKey))).toEqual(['RS256', 'ES256', undefined, 'EdDSA']);
    expect(algorithmForKey(ec256.privateKey)).toBe('ES256');
    expect(keyFitsAlgorithm(rsa2048.publicKey, 'ES256')).toBe(false);
    expect(keyFitsAlgorithm(ec384.publicKey, 'ES256')).toBe(false);
    expect(keyFitsAlgorithm(ed.publicKey, 'RS256')).toBe(false);
    expect(keyFitsAlgorithm(ec256.publicKey, 'EdDSA')).toBe(false);
  });

  it('loadSigningKey refuses a key of another type with the reference error and a hint naming the expected key', () => {
    const error = thrown(() => loadSigningKey(ec256.privateKey, 'EdDSA')) as Error & { code?: string; hint?: string };
    expect({ code: error.code, message: error.message, hint: error.hint }).toEqual({
      code: 'ERR_KEY_LOAD',
      message: 'Cannot load private key: ValueError',
      hint: 'The private key is not an Ed25519 private key (EdDSA).',
    });
    expect((thrown(() => loadSigningKey(rsa2048.publicKey, 'RS256')) as { hint?: string }).hint).toBe('The private key is not an RSA private key (RS256).');
    expect(loadSigningKey(ec256.privateKey, 'ES256')).toBe(ec256.privateKey);
  });
});

describe('the RSA size bound: 2048 bits or more', () => {
  it('2048 bits passes, 2047 does not, for KeyObjects of RSA and RSA-PSS keys and for WebCrypto keys', async () => {
    expect(MIN_RSA_MODULUS_BITS).toBe(2048);
    const rsa2047 = generateKeyPairSync('rsa', { modulusLength: 2047 });
    const pss1024 = generateKeyPairSync('rsa-pss', { modulusLength: 1024 });
    expect(smallRsaModulus(rsa2048.publicKey)).toBeUndefined();
    expect(smallRsaModulus(rsa2047.publicKey)).toBe(2047);
    expect(smallRsaModulus(pss1024.privateKey)).toBe(1024);
    expect(smallRsaModulus(ec256.publicKey)).toBeUndefined();
    const webKey = await webcrypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
    expect(smallRsaModulus(webKey.publicKey as never)).toBe(1024);
    expect(smallRsaModulus({ algorithm: { name: 'ECDSA' } })).toBeUndefined();
    expect(smallRsaModulus({})).toBeUndefined();
  });

  it('a small private key: the message and hint say how large it is and what to do', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(smallRsaKeyMessage('k', 1024)).toBe('k: RSA keys must be 2048 bits or larger (this one has 1024)');
    const error = thrown(() => loadPrivateKey(small.privateKey)) as Error & { hint?: string; path?: string };
    expect({ message: error.message, hint: error.hint, path: error.path }).toEqual({
      message: 'Cannot load private key: RSA keys must be 2048 bits or larger (this one has 1024)',
      hint: 'The key is a 1024-bit RSA key: use one of 2048 bits or more (the dual-auth keygen command makes one).',
      path: undefined,
    });
  });
});

describe('key-load errors, as the reference names them', () => {
  it('maps each file error code to its Python class', () => {
    const named = (code?: string) => pythonFileErrorName(code === undefined ? new Error('x') : Object.assign(new Error('x'), { code }));
    expect([named('ENOENT'), named('EACCES'), named('EPERM'), named('EISDIR'), named('EMFILE'), named()]).toEqual([
      'FileNotFoundError',
      'PermissionError',
      'PermissionError',
      'IsADirectoryError',
      'OSError',
      'OSError',
    ]);
    expect(pythonFileErrorName(undefined)).toBe('OSError');
    expect(pythonFileErrorName(null)).toBe('OSError');
  });

  it('each class has its hint; the path is kept when there is one, the cause when given', () => {
    const cause = new Error('EACCES');
    const hints = {
      FileNotFoundError: 'No file at /k.pem: check the key\'s path (the application\'s keys: APP_PRIVATE_KEY_PATH, APP_PUBLIC_KEY_PATH). The dual-auth keygen command makes a pair.',
      PermissionError: 'This process\'s user cannot read /k.pem: make the file readable by it (keep a private key mode 0600).',
      IsADirectoryError: '/k.pem is a folder: name the key file in it.',
      ValueError: '/k.pem is not a PEM public key.',
      OSError: '/k.pem cannot be read.',
    };
    for (const [name, hint] of Object.entries(hints)) {
      const error = keyLoadError('public', name, '/k.pem', { cause });
      expect({ message: error.message, hint: error.hint, path: error.path, cause: error.cause, code: error.code }).toEqual({
        message: `Cannot load public key: ${name}`,
        hint,
        path: '/k.pem',
        cause,
        code: 'ERR_KEY_LOAD',
      });
    }
    const bare = keyLoadError('private', 'ValueError', undefined);
    expect({ hint: bare.hint, path: bare.path, cause: bare.cause }).toEqual({ hint: 'The private key is not a PEM private key.', path: undefined, cause: undefined });
    expect(keyLoadError('private', 'ValueError', undefined, { expected: 'an X' }).hint).toBe('The private key is not an X.');
  });

  it('a key given as PEM text is never taken for a path', () => {
    const error = thrown(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n')) as Error & { path?: string };
    expect(error.message).toBe('Cannot load private key: ValueError');
    expect(error.path).toBeUndefined();
  });
});

describe('client secrets, ath and signCompact', () => {
  it('the HS256 key is the secret\'s UTF-8 bytes', () => {
    const key = clientSecretKey('sécret');
    expect(key.type).toBe('secret');
    expect(key.export()).toEqual(Buffer.from('sécret', 'utf8'));
    const jwt = signCompact('HS256', { alg: 'HS256', typ: 'JWT' }, { a: 1 }, key);
    const [h, p, s] = jwt.split('.');
    expect(s).toBe(createHmac('sha256', Buffer.from('sécret', 'utf8')).update(`${h}.${p}`).digest('base64url'));
  });

  it('ath is base64url(SHA-256) of the token\'s ASCII bytes; an empty or non-string token is refused', () => {
    expect(computeAth('abc.def.ghi')).toBe(createHash('sha256').update('abc.def.ghi').digest('base64url'));
    for (const token of ['', 42 as never, undefined as never]) {
      const error = thrown(() => computeAth(token));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_INVALID_ARGUMENT', message: 'computeAth: accessToken must be a non-empty string' });
    }
  });

  it('signCompact sorts the header keys, and refuses a key that does not fit the algorithm', () => {
    const jwt = signCompact('RS256', { typ: 'JWT', alg: 'RS256', kid: 'k' }, { b: 1, a: 2 }, rsa2048.privateKey);
    expect(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).toBe('{"alg":"RS256","kid":"k","typ":"JWT"}');
    expect(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()).toBe('{"b":1,"a":2}');
    const refusal = (fn: () => unknown) => {
      const error = thrown(fn);
      return { code: error.code, message: error.message };
    };
    expect(refusal(() => signCompact('HS256', {}, {}, rsa2048.privateKey))).toEqual({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'HS256 needs a secret key' });
    expect(refusal(() => signCompact('RS256', {}, {}, ec256.privateKey))).toEqual({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'RS256 needs a matching private key' });
    expect(refusal(() => signCompact('ES256', {}, {}, ec256.publicKey))).toEqual({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'ES256 needs a matching private key' });
    expect(refusal(() => signCompact('EdDSA', {}, {}, clientSecretKey('s')))).toEqual({ code: 'ERR_JOSE_NOT_SUPPORTED', message: 'EdDSA needs a matching private key' });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(thrown(() => signCompact('RS256', {}, {}, small.privateKey)).message).toBe('RS256 requires key modulusLength to be 2048 bits or larger');
    // ES256 signatures are r || s (64 bytes), not DER.
    expect(Buffer.from(signCompact('ES256', { alg: 'ES256' }, {}, ec256.privateKey).split('.')[2] as string, 'base64url')).toHaveLength(64);
  });
});
