/**
 * `dual-auth/local-iam`: an embedded OpenID provider (oidc-provider) over HTTPS
 * on 127.0.0.1 that issues dual-subject access tokens in the shape of
 * Keycloak, Auth0, Okta or Entra ID, so the adapters run end-to-end with no
 * tenant at hand. For demos, development and tests; not a production IAM.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DualAuthError } from '../errors.js';
import { toLogger } from '../logging.js';
import { POSITIVE_INTEGER, numberOption } from '../options.js';
import type { LocalIam, LocalIamOptions, LoginTokenOptions } from './types.js';
import { createDevCertificates, type DevCertificates } from './certificates.js';
import { generateClientSecret, generateRsaPemKeyPair, generateSigningJwk, writePrivateKeyFile } from './keys.js';
import { requirePeers } from './optional.js';
import { createProvider } from './provider.js';
import { createPersonTokenSigner, lifetime } from './person-tokens.js';
import {
  ENTRA_TENANT_ID,
  LOCAL_IAM_VENDORS,
  PROFILES,
  WEB_APP_CLIENT_ID,
  agentSubjectAudience,
  isLocalIamVendor,
  shapeLoginTokenClaims,
  type LocalIamVendor,
} from './profiles.js';

export type { LocalIamVendor } from './profiles.js';
export { LOCAL_IAM_VENDORS, isLocalIamVendor, API_SCOPES, AGENT_GRANTED_SCOPES, AGENT_ROLE, USER_ROLE, WEB_APP_CLIENT_ID } from './profiles.js';
export { createDevCertificates } from './certificates.js';
export type { DevCertificates, DevCertificateOptions } from './certificates.js';
export { generateRsaPemKeyPair, writePrivateKeyFile } from './keys.js';
export { demoApiOptionsFor, startDemoApi } from './demo-api.js';
export type { DemoApi, DemoApiOptions } from './demo-api.js';

export type { LocalIam, LocalIamOptions, LoginTokenOptions } from './types.js';

export const DEFAULT_API_AUDIENCE = 'https://api.local.test/finance';
export const DEFAULT_AGENT_CLIENT_ID = 'finance-agent';
export const DEFAULT_APP_ID = 'dual-auth-demo-app';
export const TEST_USER = Object.freeze({ id: 'user_12345', email: 'alice@corp.example.com', name: 'Alice Smith' });
/** Lifetime of the person's login token, as a web app holds it. */
const DEFAULT_LOGIN_TOKEN_TTL_SECONDS = 300;

export async function startLocalIam(options: LocalIamOptions = {}): Promise<LocalIam> {
  const vendor = options.vendor ?? 'keycloak';
  if (!isLocalIamVendor(vendor)) {
    throw new DualAuthError(`Invalid vendor: '${String(vendor)}'. Must be one of: ${LOCAL_IAM_VENDORS.join(', ')}`, 'ERR_INVALID_ARGUMENT');
  }
  const ttl = numberOption('accessTokenTtlSeconds', options.accessTokenTtlSeconds, PROFILES[vendor].defaultTtlSeconds, POSITIVE_INTEGER);
  const logger = toLogger(options.logger);
  const profile = PROFILES[vendor];
  const host = options.host ?? '127.0.0.1';
  await requirePeers(options.certificates ? ['oidc-provider'] : ['oidc-provider', '@peculiar/x509'], 'The local IAM');

  const [certificates, signingJwk, appKeys] = await Promise.all([
    options.certificates ?? createDevCertificates(),
    generateSigningJwk(),
    generateRsaPemKeyPair(),
  ]);

  const dir = await mkdtemp(join(tmpdir(), 'dual-auth-local-iam-'));
  const caCertPath = join(dir, 'ca.pem');
  const privateKeyPath = join(dir, 'app-private-key.pem');
  const publicKeyPath = join(dir, 'app-public-key.pem');
  await Promise.all([
    writeFile(caCertPath, certificates.caCert),
    writePrivateKeyFile(privateKeyPath, appKeys.privateKeyPem),
    writeFile(publicKeyPath, appKeys.publicKeyPem),
  ]);

  // The issuer depends on the port, so listen first and attach the provider after.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let tokenPath: string | undefined;
  let tokenRequests = 0;
  const server = createServer({ cert: certificates.cert, key: certificates.key, requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    if (req.method === 'POST' && req.url?.split('?')[0] === tokenPath) tokenRequests++;
    if (!handler) {
      res.writeHead(503).end();
      return;
    }
    handler(req, res);
  });
  try {
    await listen(server, options.port ?? 0, host);
  } catch (cause) {
    await rm(dir, { recursive: true, force: true });
    throw new DualAuthError(`The local IAM cannot listen on ${host}:${options.port ?? 0}: ${(cause as Error).message}`, 'ERR_LOCAL_IAM_LISTEN', { cause });
  }
  const { port } = server.address() as AddressInfo;
  const origin = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const issuer = profile.issuer(origin);
  const base = `${origin}${profile.mountPath}`;
  const tokenUrl = `${base}${profile.routes.token}`;
  tokenPath = new URL(tokenUrl).pathname;
  const jwksUri = `${base}${profile.routes.jwks}`;
  const discoveryUrl = profile.discoveryAlias ? `${origin}${profile.discoveryAlias}` : `${base}/.well-known/openid-configuration`;

  const agent = { clientId: DEFAULT_AGENT_CLIENT_ID, clientSecret: generateClientSecret() };
  const apiAudience = DEFAULT_API_AUDIENCE;
  const personTokens = await createPersonTokenSigner(signingJwk, issuer);

  try {
    const provider = await createProvider({
      vendor,
      issuer,
      apiAudience,
      clientId: agent.clientId,
      clientSecret: agent.clientSecret,
      clientObjectId: randomUUID(),
      signingJwk,
      accessTokenTtlSeconds: ttl,
      personTokens,
      userIds: new Set([TEST_USER.id]),
      logger,
    });
    const callback = provider.callback();
    handler = (req, res) => route(req, res, profile.mountPath, profile.discoveryAlias, callback);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const app = { appId: DEFAULT_APP_ID, privateKeyPath, publicKeyPath, publicKeyPem: appKeys.publicKeyPem };
  const env = buildEnv({ vendor, tokenUrl, issuer, jwksUri, agent, apiAudience, app, caCertPath });
  const webApp = { clientId: WEB_APP_CLIENT_ID };
  logger.info({ event: 'local_iam_started', vendor, issuer });

  let closed: Promise<void> | undefined;
  return {
    vendor,
    issuer,
    tokenUrl,
    jwksUri,
    discoveryUrl,
    caCert: certificates.caCert,
    caCertPath,
    apiAudience,
    agent,
    testUser: { ...TEST_USER },
    webApp,
    async issueLoginToken(login: LoginTokenOptions = {}) {
      const ttlSeconds = numberOption('ttlSeconds', login.ttlSeconds, DEFAULT_LOGIN_TOKEN_TTL_SECONDS, POSITIVE_INTEGER);
      const audience = login.audience ?? agentSubjectAudience(vendor, agent.clientId);
      if (typeof audience !== 'string' || audience.length === 0) throw new DualAuthError('audience must be a non-empty string', 'ERR_INVALID_ARGUMENT');
      const claims = shapeLoginTokenClaims(vendor, {
        issuer,
        audience,
        clientId: webApp.clientId,
        userId: TEST_USER.id,
        scopes: [],
        tenantId: ENTRA_TENANT_ID,
        ...lifetime(ttlSeconds),
      });
      logger.info({ event: 'local_iam_login_token_issued', vendor, client_id: webApp.clientId, sub: TEST_USER.id });
      return personTokens.sign(claims, profile.tokenTyp);
    },
    app,
    env,
    tokenRequestCount: () => tokenRequests,
    close() {
      closed ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
        logger.info({ event: 'local_iam_stopped', vendor });
      })();
      return closed;
    },
  };
}

/** Maps the vendor's public paths onto the provider mounted at `mountPath`. */
function route(
  req: IncomingMessage,
  res: ServerResponse,
  mountPath: string,
  discoveryAlias: string | undefined,
  callback: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  const url = req.url ?? '/';
  const path = url.split('?')[0];
  if (discoveryAlias && path === discoveryAlias) {
    // oidc-provider derives its mount path from originalUrl minus url.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = `${mountPath}/.well-known/openid-configuration`;
    req.url = '/.well-known/openid-configuration';
    callback(req, res);
    return;
  }
  if (mountPath === '') {
    callback(req, res);
    return;
  }
  if (path === mountPath || path?.startsWith(`${mountPath}/`)) {
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(mountPath.length) || '/';
    callback(req, res);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function buildEnv(input: {
  vendor: LocalIamVendor;
  tokenUrl: string;
  issuer: string;
  jwksUri: string;
  agent: { clientId: string; clientSecret: string };
  apiAudience: string;
  app: { appId: string; privateKeyPath: string; publicKeyPath: string };
  caCertPath: string;
}): Record<string, string> {
  const env: Record<string, string> = {
    DUAL_AUTH_VENDOR: input.vendor,
    DUAL_AUTH_SECRETS_BACKEND: 'env',
    [`${input.vendor.toUpperCase()}_TOKEN_URL`]: input.tokenUrl,
    AGENT_CLIENT_ID: input.agent.clientId,
    AGENT_CLIENT_SECRET: input.agent.clientSecret,
    // The application's key pair: out-of-session act JWTs (all vendors), Entra act assertions.
    APP_PRIVATE_KEY_PATH: input.app.privateKeyPath,
    APP_PUBLIC_KEY_PATH: input.app.publicKeyPath,
    APP_ID: input.app.appId,
    NODE_EXTRA_CA_CERTS: input.caCertPath,
    // The audience the access tokens carry: Auth0 and Okta send it, Entra uses it for the act
    // assertion, and an API verifying tokens expects it. getConfig ignores it for Keycloak.
    API_AUDIENCE: input.apiAudience,
    // For the API side (verifyDualSubjectToken): who issues the tokens and where its keys are.
    DUAL_AUTH_ISSUER: input.issuer,
    DUAL_AUTH_JWKS_URI: input.jwksUri,
    // The web app the test person signs in to (their own token is issued to it), as in .keycloak.env.
    USER_LOGIN_CLIENT_ID: WEB_APP_CLIENT_ID,
  };
  if (input.vendor === 'entraid') env.API_SCOPE = `${input.apiAudience}/.default`;
  return env;
}
