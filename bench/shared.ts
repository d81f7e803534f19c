/**
 * What the benchmarks need: dev certificates, the application's RSA key pair
 * (act JWTs), IAM signing keys (RS256, ES256, EdDSA) with a JWKS and an access
 * token signed by each (for the verifiers), and the token server in its own process.
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

export const BENCH_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

export interface BenchFixtures {
  dir: string;
  caCert: string;
  caFile: string;
  appPrivate: KeyObject;
  appPublic: KeyObject;
  appPrivatePath: string;
  appPublicPath: string;
  appPrivatePem: string;
  /** IAM signing key (kid "bench-1") and its JWKS (with the ES256 and EdDSA keys). */
  iamPublic: KeyObject;
  jwks: { keys: JWK[] };
  /** A Keycloak-shaped dual-subject access token signed by the IAM's RS256 key. */
  accessToken: string;
  /** The same claims signed by each of the IAM's keys, and each public key (imported once: the bare baselines). */
  tokens: Record<BenchAlgorithm, { token: string; publicKey: KeyObject }>;
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

  const issuer = 'https://127.0.0.1/realms/dual-auth';
  const claims = {
    azp: AGENT_ID,
    scope: 'finance.read finance.write',
    realm_access: { roles: ['finance-reader'] },
    act: ACT,
  };
  const signAccessToken = (alg: BenchAlgorithm, key: KeyObject, kid: string): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'JWT', kid })
      .setIssuer(issuer)
      .setSubject('service-account-agent-finance-bot')
      .setAudience(API_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('2h')
      .setJti(randomBytes(16).toString('hex'))
      .sign(key);
  const pairs: Record<BenchAlgorithm, { publicKey: KeyObject; privateKey: KeyObject }> = {
    RS256: iam,
    ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    EdDSA: generateKeyPairSync('ed25519'),
  };
  const jwks: JWK[] = [];
  const tokens = {} as BenchFixtures['tokens'];
  for (const alg of BENCH_ALGORITHMS) {
    const kid = alg === 'RS256' ? 'bench-1' : `bench-${alg.toLowerCase()}`;
    jwks.push({ ...(await exportJWK(pairs[alg].publicKey)), kid, alg, use: 'sig' });
    tokens[alg] = { token: await signAccessToken(alg, pairs[alg].privateKey, kid), publicKey: pairs[alg].publicKey };
  }
  const accessToken = tokens.RS256.token;

  // The IAM's answer: a realistic access token length.
  const server = await startTokenServer({
    cert,
    key,
    jwks: { keys: jwks },
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
    jwks: { keys: jwks },
    accessToken,
    tokens,
    issuer,
    server,
    tokenUrl: `${server.origin}${KEYCLOAK_PATH}`,
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
