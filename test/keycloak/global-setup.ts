/**
 * Starts the project's Keycloak when it is not running (the same code as
 * `npm run keycloak:start`) and stops it afterwards only if it started it here.
 * When Keycloak cannot start, the suite FAILS with the reason: it never skips.
 */
import { ensureKeycloak, KEYCLOAK_VERSION, stopKeycloak } from '../../scripts/keycloak/provision.js';

export default async function setup(): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const log = (line: string) => console.log(`[keycloak] ${line}`);
  // Throws ProvisionError with the reason (missing Java/Maven, port taken, start failure + log tail).
  const { started, pid } = await ensureKeycloak(log);
  log(`Keycloak ${KEYCLOAK_VERSION} ${started ? 'started' : 'reused'} (pid ${pid}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return async () => {
    if (started) await stopKeycloak(log);
  };
}
