/**
 * What both benchmarks need: dev certificates, the application's RSA key pair
 * (act JWTs), an IAM signing key with a JWKS (access tokens for the verifier),
 * and the token server in its own process.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, type JWK } from 'jose';
import { createDevCertificates } from '../src/local-iam/certificates.js';
import { startTokenServer, type TokenServer } from './lib.js';

export const ACT = { sub: 'f1234567-89ab-cdef-0123-456789abcdef', email: 'alice@example.com', name: 'Alice Example' };
export const AGENT_ID = 'agent-finance-bot';
export const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef0123456789abcdef';
export const AGENT_ENDPOINT = 'https://agent.example.com/invoke';
export const API_AUDIENCE = 'https://api.example.com/finance';
export const SCOPE = ['finance.read', 'finance.write'];
export const KEYCLOAK_PATH = '/realms/dual-auth/protocol/openid-connect/token';

export interface BenchFixtures {
  dir: string;
  caCert: string;
  caFile: string;
  appPrivate: KeyObject;
  appPublic: KeyObject;
  appPrivatePath: string;
  appPublicPath: string;
  appPrivatePem: string;
  /** IAM signing key (kid "bench-1") and its JWKS. */
  iamPublic: KeyObject;
  jwks: { keys: JWK[] };
  /** A Keycloak-shaped dual-subject access token signed by the IAM key. */
  accessToken: string;
  issuer: string;
  server: TokenServer;
  tokenUrl: string;
  cleanup(): Promise<void>;
}

export async function createBenchFixtures(): Promise<BenchFixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'dual-auth-bench-'));
  const { caCert, cert, key } = await createDevCertificates({ commonName: 'dual-auth bench CA' });
  const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const iam = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appPrivatePem = app.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const files = {
    caFile: join(dir, 'ca.pem'),
    appPrivatePath: join(dir, 'app-private-key.pem'),
    appPublicPath: join(dir, 'app-public-key.pem'),
  };
  writeFileSync(files.caFile, caCert);
  writeFileSync(files.appPrivatePath, appPrivatePem);
  chmodSync(files.appPrivatePath, 0o600);
  writeFileSync(files.appPublicPath, app.publicKey.export({ type: 'spki', format: 'pem' }) as string);

  const jwk = { ...(await exportJWK(iam.publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
  const issuer = 'https://127.0.0.1/realms/dual-auth';
  const accessToken = await new SignJWT({
    azp: AGENT_ID,
    scope: 'finance.read finance.write',
    realm_access: { roles: ['finance-reader'] },
    act: ACT,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'bench-1' })
    .setIssuer(issuer)
    .setSubject('service-account-agent-finance-bot')
    .setAudience(API_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('2h')
    .setJti(randomBytes(16).toString('hex'))
    .sign(iam.privateKey);

  // The IAM's answer: a realistic access token length.
  const server = await startTokenServer({
    cert,
    key,
    jwks: { keys: [jwk] },
    token: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: 'finance.read finance.write' },
  });
  return {
    dir,
    caCert,
    ...files,
    appPrivate: app.privateKey,
    appPublic: app.publicKey,
    appPrivatePem,
    iamPublic: iam.publicKey,
    jwks: { keys: [jwk] },
    accessToken,
    issuer,
    server,
    tokenUrl: `${server.origin}${KEYCLOAK_PATH}`,
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
