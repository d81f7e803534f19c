/** What the global set-up hands to the tests (through vitest's provide/inject). */
import type { AwsKeys } from '../../scripts/secrets/moto.js';

export interface SecretsServers {
  caFile: string;
  caCert: string;
  aws: { endpoint: string; region: string; admin: AwsKeys; reader: AwsKeys; denied: AwsKeys };
  vault: { addr: string; rootToken: string; readerToken: string; deniedToken: string; roleId: string; secretId: string };
  gcp: { endpoint: string };
  azure: { vaultUrl: string; identityEndpoint: string; headers: { admin: string; reader: string } };
  /** Emulators as they run by default: plain HTTP on 127.0.0.1 (moto for AWS, `bao server -dev` for Vault). */
  plainLoopback: { awsEndpoint: string; vaultAddr: string; vaultRootToken: string };
  timings: Record<string, number>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    secretsServers: SecretsServers;
  }
}
