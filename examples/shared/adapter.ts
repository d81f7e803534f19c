/**
 * The guide's `get_adapter()`: the adapter class for the configured vendor.
 *
 * An application writes `from 'dual-auth'`; the examples import the source
 * (`../../src/index.js`) so they run from a clone without a build.
 */
import {
  Auth0Adapter,
  EntraIDAdapter,
  getConfig,
  getVendor,
  KeycloakAdapter,
  OktaAdapter,
  type AdapterOptions,
  type BaseAdapter,
  type DualAuthConfig,
} from '../../src/index.js';

const ADAPTERS = {
  keycloak: KeycloakAdapter,
  auth0: Auth0Adapter,
  okta: OktaAdapter,
  entraid: EntraIDAdapter,
} as const;

/**
 * Same steps as Python: getConfig() (DUAL_AUTH_VENDOR, DUAL_AUTH_SECRETS_BACKEND),
 * getVendor(), then the class from the map. `createAdapter(config, options)` does
 * the same in one call; the map is kept here to mirror the guide.
 */
export async function getAdapter(options: AdapterOptions = {}): Promise<{ adapter: BaseAdapter; config: DualAuthConfig }> {
  const config = await getConfig();
  const vendor = getVendor();
  const AdapterClass = ADAPTERS[vendor as keyof typeof ADAPTERS];
  if (!AdapterClass) throw new Error(`Unknown vendor: ${vendor}`);
  return { adapter: new AdapterClass(config, options), config };
}
