/** npm run keycloak:stop: stops the Keycloak started by keycloak:start (by its pid file). */
import { stopKeycloak } from './provision.js';

try {
  const stopped = await stopKeycloak((line) => console.log(line));
  console.log(stopped ? 'Keycloak stopped' : 'Keycloak was not running');
} catch (error) {
  console.error(`keycloak:stop failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
