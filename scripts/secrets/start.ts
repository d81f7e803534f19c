/**
 * Starts every secrets test server for manual use and prints the variables that
 * point each backend at it. Idempotent install; servers are stopped by pid with
 * `npx tsx scripts/secrets/stop.ts`. The test suite (npm run test:secrets) starts
 * and stops its own servers through the same functions.
 */
import { randomBytes } from 'node:crypto';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { ensurePythonTools } from './install.js';
import { stopRecordedServers, timed, useRunName } from './lib.js';
import { startMoto } from './moto.js';
import { startOpenBao } from './openbao.js';
import { startStandIn } from './stand-ins.js';
import { writeCertificateFiles } from './tls.js';

const timings: Record<string, number> = {};
useRunName('manual'); // stop.ts finds these servers under this name
await stopRecordedServers();
const certs = await createDevCertificates();
const files = writeCertificateFiles(certs);
try {
  await timed('install', timings, async () => ensurePythonTools());
  const header = randomBytes(12).toString('hex');
  const moto = await timed('moto', timings, () => startMoto(files, certs.caCert));
  const bao = await timed('openbao', timings, () => startOpenBao(files, certs.caCert));
  const gcp = await timed('gcp stand-in', timings, () => startStandIn('gcp-stand-in', 'gcp-stand-in.ts'));
  const azure = await timed('azure stand-in', timings, () =>
    startStandIn('azure-stand-in', 'azure-stand-in.ts', {
      TLS_CERT_FILE: files.certFile,
      TLS_KEY_FILE: files.keyFile,
      IDENTITY_HEADERS: JSON.stringify({ [header]: 'admin' }),
    }),
  );
  // Test-only credentials of throwaway local servers, printed on purpose for manual use.
  console.log(
    [
      `# started in ms: ${JSON.stringify(timings)}`,
      `export NODE_EXTRA_CA_CERTS=${files.caFile}`,
      '# aws (moto, admin user)',
      `export AWS_ENDPOINT_URL_SECRETS_MANAGER=${moto.endpoint} AWS_ACCESS_KEY_ID=${moto.admin.accessKeyId} AWS_SECRET_ACCESS_KEY=${moto.admin.secretAccessKey}`,
      '# vault (OpenBao, root token; KV v2 at secret/, KV v1 at kv1/)',
      `export VAULT_ADDR=${bao.addr} VAULT_CACERT=${files.caFile} VAULT_TOKEN=${bao.rootToken}`,
      '# gcp (stand-in, plaintext gRPC on loopback)',
      `export DUAL_AUTH_GCP_PROJECT=local DUAL_AUTH_GCP_ENDPOINT=127.0.0.1:${gcp.port} DUAL_AUTH_GCP_PLAINTEXT=true`,
      '# azure (stand-in, managed identity endpoint)',
      `export DUAL_AUTH_AZURE_VAULT_URL=https://127.0.0.1:${azure.port} DUAL_AUTH_AZURE_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true IDENTITY_ENDPOINT=https://127.0.0.1:${azure.port}/msi/token IDENTITY_HEADER=${header}`,
    ].join('\n'),
  );
} catch (error) {
  await stopRecordedServers();
  throw error;
}
