/**
 * Key-load errors (issue 10 item 19): the reference's message stays ("Cannot load
 * private key: FileNotFoundError"); the error adds the file's path as `path` and in
 * its `hint`. The path is not a secret; the key's content never appears.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DualAuthError, EntraIDAdapter, HybridSender, KeyLoadError, OutOfSessionTokenRequest, KeycloakAdapter } from '../../src/index.js';
import { audited, markSensitive } from '../helpers/log-audit.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dual-auth-keys-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function keyError(fn: () => unknown): KeyLoadError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyLoadError);
    expect(error).toBeInstanceOf(DualAuthError);
    expect((error as KeyLoadError).code).toBe('ERR_KEY_LOAD');
    return audited(error as KeyLoadError);
  }
  throw new Error('no error thrown');
}

describe('a private key named by path', () => {
  it('a missing file: the reference message, the path, and a hint naming it', () => {
    const path = join(dir, 'missing.pem');
    const error = keyError(() => new HybridSender({ privateKeyPem: path }));
    expect(error.message).toBe('Cannot load private key: FileNotFoundError');
    expect(error.path).toBe(path);
    expect(error.hint).toBe(
      `No file at ${path}: check the key's path (the application's keys: APP_PRIVATE_KEY_PATH, APP_PUBLIC_KEY_PATH). The dual-auth keygen command makes a pair.`,
    );
  });

  it('the same through the Entra ID adapter (APP_PRIVATE_KEY_PATH)', () => {
    const path = join(dir, 'entra-missing.pem');
    const config = { tokenUrl: 'https://login.example.com/t/oauth2/v2.0/token', clientId: 'a', clientSecret: 's'.repeat(32), scope: 's/.default', appId: 'app', actAudience: 'aud' };
    const error = keyError(() => new EntraIDAdapter({ ...config, appPrivateKeyPath: path }));
    expect(error.message).toBe('Cannot load private key: FileNotFoundError');
    expect(error.path).toBe(path);
    expect(error.hint).toContain(path);
  });

  it('a folder, a file that is not a key, and a key of the wrong type', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const folderError = keyError(() => new HybridSender({ privateKeyPem: folder }));
    expect(folderError.message).toBe('Cannot load private key: IsADirectoryError');
    expect(folderError.hint).toBe(`${folder} is a folder: name the key file in it.`);

    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    const garbageError = keyError(() => new HybridSender({ privateKeyPem: garbage }));
    expect(garbageError.message).toBe('Cannot load private key: ValueError');
    expect(garbageError.path).toBe(garbage);
    expect(garbageError.hint).toBe(`${garbage} is not a PEM private key.`);

    const ec = join(dir, 'ec.pem');
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    markSensitive(ecPem);
    writeFileSync(ec, ecPem);
    const typeError = keyError(() => new HybridSender({ privateKeyPem: ec }));
    expect(typeError.message).toBe('Cannot load private key: ValueError');
    expect(typeError.hint).toBe(`${ec} is not an RSA private key (RS256).`);
  });

  it('a key given as PEM text has no path, and its content is in no message or hint', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    const error = keyError(() => new HybridSender({ privateKeyPem: pem }));
    expect(error.message).toBe('Cannot load private key: ValueError');
    expect(error.path).toBeUndefined();
    expect(error.hint).toBe('The private key is not a PEM private key.');
  });
});

describe('a public key named by path', () => {
  it('OutOfSessionTokenRequest: the reference message, the path, and a hint', () => {
    const adapter = new KeycloakAdapter({ tokenUrl: 'https://sso.example.com/realms/r/protocol/openid-connect/token', clientId: 'a', clientSecret: 's'.repeat(32) });
    const path = join(dir, 'app-public-key.pem');
    const error = keyError(() => new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: path }));
    expect(error.message).toBe('Cannot load public key: FileNotFoundError');
    expect(error.path).toBe(path);
    expect(error.hint).toContain(`No file at ${path}`);

    writeFileSync(path, 'not a key');
    const bad = keyError(() => new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: path }));
    expect(bad.message).toBe('Cannot load public key: ValueError');
    expect(bad.hint).toBe(`${path} is not a PEM public key.`);
  });

  it('a public key of another algorithm than `algorithms` allows: the hint names the option to set', () => {
    const adapter = new KeycloakAdapter({ tokenUrl: 'https://sso.example.com/realms/r/protocol/openid-connect/token', clientId: 'a', clientSecret: 's'.repeat(32) });
    const path = join(dir, 'app-public-key-es256.pem');
    writeFileSync(path, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    const error = keyError(() => new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: path }));
    expect(error.message).toBe('Cannot load public key: ValueError');
    expect(error.hint).toBe(`${path} is not a public key for RS256: it is an ES256 key (pass algorithms: ['ES256']).`);
    expect(new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: path, algorithms: ['ES256'] })).toBeInstanceOf(OutOfSessionTokenRequest);
  });
});
