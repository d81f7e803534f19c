/**
 * npm run keycloak:start: starts the local Keycloak (or reuses a healthy one)
 * and writes .keycloak.env. See docs/iam/keycloak.md.
 */
import { baseUrl, DEV_ADMIN, ensureKeycloak, KEYCLOAK_VERSION, paths } from './provision.js';

const t0 = Date.now();
try {
  const { env, started, pid } = await ensureKeycloak((line) => console.log(line));
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`Keycloak ${KEYCLOAK_VERSION} ${started ? 'started' : 'already running'} (pid ${pid}, ${secs}s)`);
  console.log(`  token URL    ${env.KEYCLOAK_TOKEN_URL}`);
  console.log(`  JWKS         ${env.KEYCLOAK_JWKS_URL}`);
  console.log(`  CA           ${env.NODE_EXTRA_CA_CERTS}`);
  console.log(`  admin        ${baseUrl}/admin/ (user ${DEV_ADMIN.username}, dev-only password in scripts/keycloak/provision.ts)`);
  console.log(`  env written  ${paths.envFile}  (load: set -a; . ./.keycloak.env; set +a)`);
} catch (error) {
  console.error(`keycloak:start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
