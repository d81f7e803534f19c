/** What the faults global set-up hands to the tests (through vitest's provide/inject). */
import type { FaultServers } from '../../scripts/faults/servers.js';
import type { AwsKeys } from '../../scripts/secrets/moto.js';

export interface FaultSetup {
  /** Toxiproxy's API, http://127.0.0.1:PORT. */
  toxiproxy: string;
  /** The local IAM and the demo API (another process), and its control API. */
  local: FaultServers;
  /** Standalone Redis with a password: `redis://:password@127.0.0.1:PORT`. */
  redis: string;
  /** moto (AWS Secrets Manager), HTTPS with `secretsCa`. */
  aws: { endpoint: string; region: string; admin: AwsKeys };
  /** OpenBao (Vault API), HTTPS with `secretsCa`. */
  vault: { addr: string; rootToken: string };
  secretsCa: string;
  /** The project's Keycloak (started or reused): token URL, issuer, agent client and its CA (PEM). */
  keycloak: { tokenUrl: string; issuer: string; jwksUri: string; audience: string; clientId: string; clientSecret: string; userId: string; caCert: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    faults: FaultSetup;
  }
}
