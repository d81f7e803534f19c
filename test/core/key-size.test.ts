/**
 * RSA keys under 2048 bits are refused on every fixed-key path, as jose refuses
 * them on its own: signing and verifying act JWTs, signing and verifying the
 * EntraID act assertion, and private_key_jwt client assertions.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EntraIDAdapter,
  HybridSender,
  KeycloakAdapter,
  KeyLoadError,
  OutOfSessionTokenRequest,
  createDualSubjectVerifier,
} from '../../src/index.js';
import { signCompact } from '../../src/jwt/compact.js';
import { singleKey } from '../../src/jwt/key-sources.js';
import { createJwtVerifier } from '../../src/jwt/verifier.js';
import { createClaimsCheck } from '../../src/jwt/verify.js';
import { thrown } from '../helpers/log-audit.js';

const large = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dir = mkdtempSync(join(tmpdir(), 'dual-auth-key-size-'));
const pem = (key: KeyObject) => key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }) as string;
const adapter = () => new KeycloakAdapter({ tokenUrl: 'https://kc.example/realms/r/protocol/openid-connect/token', clientId: 'a', clientSecret: 'key-size-secret' });

describe.each([512, 1024])('a %i-bit RSA key', (bits) => {
  const small = generateKeyPairSync('rsa', { modulusLength: bits });
  const privatePath = join(dir, `small-${bits}.pem`);
  writeFileSync(privatePath, pem(small.privateKey), { mode: 0o600 });
  const tooSmall = (error: Error & { code?: string }) => {
    expect(error.code).toBe('ERR_KEY_LOAD');
    expect(error.message).toMatch(/2048 bits/);
  };

  it('does not sign act JWTs (HybridSender: path, PEM text, KeyObject)', () => {
    tooSmall(thrown(() => new HybridSender({ privateKeyPem: privatePath })));
    tooSmall(thrown(() => new HybridSender({ privateKeyPem: pem(small.privateKey) })));
    tooSmall(thrown(() => new HybridSender({ privateKey: small.privateKey })));
  });

  it('does not verify act JWTs (OutOfSessionTokenRequest: path, PEM, KeyObject, private key given by mistake): a KeyLoadError at construction', () => {
    const publicPath = join(dir, `small-${bits}-public.pem`);
    writeFileSync(publicPath, pem(small.publicKey));
    const errors = [
      thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKeyPath: publicPath })),
      thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: pem(small.publicKey) })),
      thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: small.publicKey })),
      thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: small.privateKey })),
    ];
    for (const error of errors) {
      tooSmall(error);
      // As the other key loaders (HybridSender, the adapters): the class callers catch, the reference's message.
      expect(error).toBeInstanceOf(KeyLoadError);
      expect(error.message).toBe(`Cannot load public key: RSA keys must be 2048 bits or larger (this one has ${bits})`);
    }
    expect((errors[0] as KeyLoadError).path).toBe(publicPath);
    expect((errors[1] as KeyLoadError).path).toBeUndefined();
  });

  it('does not sign EntraID act assertions', () => {
    tooSmall(
      thrown(
        () =>
          new EntraIDAdapter({
            tokenUrl: 'https://login.example/t/oauth2/v2.0/token',
            clientId: 'a',
            clientSecret: 'key-size-secret',
            scope: 's/.default',
            appPrivateKeyPath: privatePath,
            appId: 'app',
            actAudience: 'aud',
          }),
      ),
    );
  });

  it('does not verify act assertions nor access tokens (verifier keys)', () => {
    const base = { issuer: 'https://iam.example', audience: 'api' } as const;
    tooSmall(thrown(() => createDualSubjectVerifier({ ...base, vendor: 'entraid', jwksUri: 'https://iam.example/jwks', actAssertionKey: pem(small.publicKey) })));
    tooSmall(thrown(() => createDualSubjectVerifier({ ...base, vendor: 'entraid', jwksUri: 'https://iam.example/jwks', actAssertionKey: small.publicKey })));
    tooSmall(thrown(() => createDualSubjectVerifier({ ...base, vendor: 'keycloak', key: pem(small.publicKey) })));
    tooSmall(thrown(() => createDualSubjectVerifier({ ...base, vendor: 'keycloak', key: small.publicKey })));
  });

  it('does not sign private_key_jwt client assertions', () => {
    const config = { tokenUrl: 'https://kc.example/realms/r/protocol/openid-connect/token', clientId: 'a' };
    tooSmall(thrown(() => new KeycloakAdapter(config, { privateKeyJwt: { privateKey: privatePath } })));
    tooSmall(thrown(() => new KeycloakAdapter(config, { privateKeyJwt: { privateKey: small.privateKey, alg: 'PS256' } })));
  });

  it('the node:crypto JWS functions refuse it too', async () => {
    expect(() => signCompact('RS256', { alg: 'RS256' }, { a: 1 }, small.privateKey)).toThrow(/2048 bits/);
    const jwt = signCompact('RS256', { alg: 'RS256' }, { aud: 'x', exp: 2 ** 40 }, large.privateKey);
    const verify = createJwtVerifier(singleKey(small.publicKey), ['RS256'], { aborted: () => new Error('aborted') });
    await expect(verify(jwt, undefined, createClaimsCheck({ audience: 'x', clockToleranceSeconds: 0 }))).rejects.toThrow(/2048 bits/);
  });
});

describe('2048-bit keys', () => {
  it('are taken', () => {
    const keys = large;
    expect(() => new HybridSender({ privateKey: keys.privateKey })).not.toThrow();
    expect(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: keys.publicKey })).not.toThrow();
    expect(() => createDualSubjectVerifier({ issuer: 'https://iam.example', audience: 'api', vendor: 'keycloak', key: keys.publicKey })).not.toThrow();
  });
});
