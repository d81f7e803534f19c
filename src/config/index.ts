export { getConfig, type GetConfigOptions } from './get-config.js';
export { getVendor, getSecretsBackendType } from './environment.js';
export { VENDORS } from './types.js';
export type { Vendor, DualAuthConfig, KeycloakConfig, Auth0Config, OktaConfig, EntraIDConfig, EntraIDAgentConfig, DelegatedAgentConfig } from './types.js';
