import type { DualAuthConfig } from '../config/types.js';
import { DualAuthError } from '../errors.js';
import { Auth0Adapter } from './auth0.js';
import type { AssertionAdapterOptions } from './assertion-adapter.js';
import type { BaseAdapter } from './base.js';
import type { AdapterConfigInput } from './config-input.js';
import { EntraIDAdapter, type EntraIDAdapterOptions } from './entraid.js';
import { KeycloakAdapter } from './keycloak.js';
import { OktaAdapter, type OktaAdapterOptions } from './okta.js';

export type CreateAdapterOptions = AssertionAdapterOptions & OktaAdapterOptions & EntraIDAdapterOptions;

/** Picks the adapter class from `config.vendor` (as returned by getConfig). */
export function createAdapter(config: DualAuthConfig | (AdapterConfigInput & { vendor: string }), options: CreateAdapterOptions = {}): BaseAdapter {
  const vendor = String((config as { vendor?: unknown })?.vendor ?? '').toLowerCase().trim();
  switch (vendor) {
    case 'keycloak':
      return new KeycloakAdapter(config, options);
    case 'auth0':
      return new Auth0Adapter(config, options);
    case 'okta':
      return new OktaAdapter(config, options);
    case 'entraid':
      return new EntraIDAdapter(config, options);
    default:
      throw new DualAuthError(`Invalid vendor: '${vendor}'. Must be one of: keycloak, auth0, okta, entraid`, 'ERR_CONFIGURATION');
  }
}
