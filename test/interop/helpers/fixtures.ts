/**
 * Shared fixtures: RSA key files in the formats Python users have (PKCS#8 and
 * the "traditional" PKCS#1 that `openssl genrsa -traditional` or OpenSSL 1.1
 * writes), the CA bundle for REQUESTS_CA_BUNDLE, and vendor token URLs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyFiles {
  dir: string;
  privatePkcs8: string;
  privatePkcs1: string;
  publicSpki: string;
  /** A second, unrelated key pair (wrong-key cases). */
  otherPrivate: string;
  otherPublic: string;
  caBundle: string;
  privatePem: string;
  publicPem: string;
  cleanup(): void;
}

export function writeFixtures(caCert: string): KeyFiles {
  const dir = mkdtempSync(join(tmpdir(), 'dual-auth-interop-'));
  const a = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const files = {
    privatePkcs8: join(dir, 'app-private-key.pem'),
    privatePkcs1: join(dir, 'app-private-key-pkcs1.pem'),
    publicSpki: join(dir, 'app-public-key.pem'),
    otherPrivate: join(dir, 'other-private-key.pem'),
    otherPublic: join(dir, 'other-public-key.pem'),
    caBundle: join(dir, 'ca.pem'),
  };
  const privatePem = a.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = a.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  writeFileSync(files.privatePkcs8, privatePem);
  writeFileSync(files.privatePkcs1, a.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);
  writeFileSync(files.publicSpki, publicPem);
  writeFileSync(files.otherPrivate, b.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  writeFileSync(files.otherPublic, b.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  writeFileSync(files.caBundle, caCert);
  // Private keys readable by the owner only (the reference warns on world-readable).
  for (const f of [files.privatePkcs8, files.privatePkcs1, files.otherPrivate]) chmodSync(f, 0o600);
  return { dir, ...files, privatePem, publicPem, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Token URL paths as each vendor shapes them (appended to an endpoint base). */
export const TOKEN_PATHS = {
  keycloak: '/realms/dual-auth/protocol/openid-connect/token',
  auth0: '/oauth/token',
  okta: '/oauth2/aus1a2b3c4d5e6f7g8h9/v1/token',
  entraid: '/0b1c2d3e-tenant/oauth2/v2.0/token',
} as const;

export type Vendor = keyof typeof TOKEN_PATHS;
export const VENDORS = Object.keys(TOKEN_PATHS) as Vendor[];

/** The Python-style (snake_case) adapter config for a vendor at an endpoint. */
export function snakeConfig(vendor: Vendor, base: string, keys: Pick<KeyFiles, 'privatePkcs8'>): Record<string, string> {
  const common = {
    token_url: `${base}${TOKEN_PATHS[vendor]}`,
    client_id: 'agent-finance-bot',
    client_secret: 'interop-client-secret-0123456789abcdef0123456789',
  };
  switch (vendor) {
    case 'keycloak':
      return common;
    case 'auth0':
    case 'okta':
      return { ...common, audience: 'https://api.example.com/finance' };
    case 'entraid':
      return {
        ...common,
        scope: 'api://finance-api/.default',
        app_private_key_path: keys.privatePkcs8,
        app_id: 'app-7f3c9a1e',
        act_audience: 'https://api.example.com/finance',
      };
  }
}

/** Python config keys and their TypeScript names. */
export const SNAKE_TO_CAMEL: Record<string, string> = {
  token_url: 'tokenUrl',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  audience: 'audience',
  scope: 'scope',
  app_private_key_path: 'appPrivateKeyPath',
  app_id: 'appId',
  act_audience: 'actAudience',
};

export const ACT = { sub: 'f1234567-89ab-cdef-0123-456789abcdef', email: 'alice@example.com', name: 'Alice Example' };
export const AGENT_ID = 'agent-finance-bot';
