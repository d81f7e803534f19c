/**
 * Step 1.4 of the guide, "Verify Installation": every name of the Python
 * package's public API exists, under its TypeScript name.
 *
 *   npx tsx examples/verify-install.ts
 *
 * An application writes `from 'dual-auth'` (and `require('dual-auth')` in CommonJS gives the same names).
 */
import * as dualAuth from '../src/index.js';

const NAMES = [
  'VERSION',
  'getConfig',
  'getVendor',
  'getSecretsBackendType',
  'KeycloakAdapter',
  'Auth0Adapter',
  'OktaAdapter',
  'EntraIDAdapter',
  'HybridSender',
  'UserSession',
  'InSessionTokenRequest',
  'OutOfSessionTokenRequest',
  'InSessionAPICall',
  'OutOfSessionAPICall',
] as const;

const missing = NAMES.filter((name) => (dualAuth as Record<string, unknown>)[name] === undefined);
if (missing.length > 0) {
  console.log(`❌ dual-auth is missing: ${missing.join(', ')}`);
  process.exit(1);
}
console.log(`✅ dual-auth v${dualAuth.VERSION} installed successfully`);
