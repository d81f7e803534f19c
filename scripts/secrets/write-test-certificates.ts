/**
 * `tsx scripts/secrets/write-test-certificates.ts <dir>`: a fresh test CA and server certificate
 * written to <dir> (ca.pem, server.pem, server-key.pem). Mutation testing (stryker.config.mjs) makes
 * them before Stryker starts its test process, so that process starts with NODE_EXTRA_CA_CERTS
 * naming the CA (Node reads that file once, at start-up) and the secrets suite's global set-up
 * serves with them (DUAL_AUTH_TEST_CERTIFICATES): Stryker runs the tests in threads of one
 * long-lived process, not in workers forked after the set-up as `npm run test:secrets` does.
 */
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { writeCertificateFiles } from './tls.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: write-test-certificates.ts <dir>');
writeCertificateFiles(await createDevCertificates(), dir);
