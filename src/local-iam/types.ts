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
  /** The application's RS256 key pair: signs out-of-session act JWTs and Entra act assertions. */
  app: { appId: string; privateKeyPath: string; publicKeyPath: string; publicKeyPem: string };
  /** The variables getConfig() reads for this vendor, plus the demo's extras. */
  env: Record<string, string>;
  close(): Promise<void>;
}
