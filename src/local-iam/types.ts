/** The public types of the local IAM, in their own module so that its parts can share them without importing each other. */
import type { LoggerLike } from '../logging.js';
import type { DevCertificates } from './certificates.js';
import type { LocalIamVendor } from './profiles.js';

export interface LocalIamOptions {
  vendor?: LocalIamVendor;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (any free port). */
  port?: number;
  /** TLS material; default a fresh CA and server certificate. */
  certificates?: DevCertificates;
  /** Access token lifetime; default the vendor's (Keycloak 300, Auth0 86400, Okta 3600, Entra 3599). */
  accessTokenTtlSeconds?: number;
  logger?: LoggerLike;
}

export interface LoginTokenOptions {
  /** Lifetime. Default is 300 (seconds). */
  ttlSeconds?: number;
  /** The token's audience. Default is the agent (the audience the vendor's exchange requires); anything else makes a token the agent cannot exchange. */
  audience?: string;
}

export interface LocalIam {
  vendor: LocalIamVendor;
  issuer: string;
  tokenUrl: string;
  jwksUri: string;
  discoveryUrl: string;
  /** PEM of the local CA (trust it via the `ca` option). */
  caCert: string;
  /** The same, written to a temp file (for NODE_EXTRA_CA_CERTS). */
  caCertPath: string;
  /** The API audience the access tokens carry. */
  apiAudience: string;
  /** The registered agent client. */
  agent: { clientId: string; clientSecret: string };
  testUser: { id: string; email: string; name: string };
  /** The web app the test person signs in to: their own tokens are issued to this client, not to the agent. */
  webApp: { clientId: string };
  /**
   * The test person's own access token, as the web app holds it after their sign-in: issued to
   * the web app, addressed to the agent (so that the agent may exchange it: delegation
   * 'token-exchange'), in the vendor's shape, signed by this IAM. SENSITIVE, like any token.
   */
  issueLoginToken(options?: LoginTokenOptions): Promise<string>;
  /** The application's RS256 key pair: signs out-of-session act JWTs and Entra act assertions. */
  app: { appId: string; privateKeyPath: string; publicKeyPath: string; publicKeyPem: string };
  /** The variables getConfig() reads for this vendor, plus the demo's extras. */
  env: Record<string, string>;
  /** Token requests (POSTs to the token endpoint) received so far, answered or not: what a token cache saves. */
  tokenRequestCount(): number;
  close(): Promise<void>;
}
