/**
 * Step 2.3 / 2.4 of the guide, "Load Configuration in Your Application": the
 * TypeScript `your_app.py`. getConfig() reads DUAL_AUTH_VENDOR and
 * DUAL_AUTH_SECRETS_BACKEND (Step 3: env | aws | gcp | azure | vault) and the
 * vendor's variables; the errors are typed, with the Python texts.
 *
 *   npx tsx examples/load-config.ts            (reads .env)
 *   npx tsx examples/load-config.ts okta       (Pattern 2: explicit vendor, ignores DUAL_AUTH_VENDOR)
 *
 * Exit code 0 when the configuration loads, 1 otherwise. The secret is never printed.
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import { ConfigurationError, SecretsBackendError, createAdapter, getConfig, getSecretsBackendType } from '../src/index.js';
import { loadDotEnv } from './shared/env.js';

async function main(): Promise<number> {
  const vendor = process.argv[2];
  let config;
  try {
    // Pattern 1: auto-detect the vendor; Pattern 2: getConfig({ vendor: 'auth0' }).
    config = await getConfig(vendor ? { vendor } : {});
  } catch (error) {
    // Pattern 3: with error handling. Two classes, as in Python: a backend failure or missing secret, and a bad value.
    if (error instanceof SecretsBackendError) {
      console.log(`Secrets backend error (${error.backend}): ${error.message}`);
      return 1;
    }
    if (error instanceof ConfigurationError) {
      console.log(`Configuration error: ${error.message}`);
      return 1;
    }
    throw error;
  }

  // Create the adapter with the config (the guide uses KeycloakAdapter(config); createAdapter picks the vendor's class).
  const adapter = createAdapter(config);

  console.log('Configuration loaded successfully');
  console.log(`Vendor: ${config.vendor} (secrets backend: ${getSecretsBackendType()})`);
  console.log(`Token URL: ${config.tokenUrl}`);
  console.log(`Client ID: ${config.clientId}`);
  console.log(`Adapter: ${adapter.constructor.name}`);
  return 0;
}

loadDotEnv();
main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.log(`Unexpected error: ${error.name}: ${error.message}`);
    process.exit(1);
  },
);
