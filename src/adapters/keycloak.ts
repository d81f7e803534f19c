import type { Act } from '../domain/act.js';
import { ClientAssertionAdapter, type AssertionAdapterOptions } from './assertion-adapter.js';
import type { VendorProfile } from './base.js';
import type { AdapterConfigInput } from './config-input.js';

const KEYCLOAK: VendorProfile = {
  name: 'Keycloak',
  defaultExpiresIn: 3600,
  accept: 'application/json',
  statusMessages: {
    400: 'Bad request to Keycloak - check client assertion format',
    401: 'Authentication failed - check client credentials',
    403: 'Access forbidden - check client permissions',
  },
  otherStatusMessage: (status, iamError) => `Keycloak error (${status}): ${iamError}`,
  networkMessage: (errorClass) => `Network error connecting to Keycloak: ${errorClass}`,
};

/**
 * Keycloak: HS256 client assertion (client_secret_jwt) carrying `act`; the realm's
 * act mapper copies it into the access token. Assertion audience: config
 * `audience`, else the realm URL (token URL cut before `/protocol/`).
 */
export class KeycloakAdapter extends ClientAssertionAdapter {
  readonly assertionAudience: string;

  constructor(config: AdapterConfigInput, options: AssertionAdapterOptions = {}) {
    super(config, options, KEYCLOAK);
    const cut = this.tokenUrl.lastIndexOf('/protocol/');
    this.assertionAudience = this.audience ?? (cut === -1 ? this.tokenUrl : this.tokenUrl.slice(0, cut));
    this.logger.info({ event: 'adapter_initialized', ...this.describe(), audience: this.assertionAudience }, 'Keycloak adapter initialized');
  }

  protected async buildForm(agentId: string, act: Act, scopes: readonly string[]): Promise<Record<string, string>> {
    return {
      grant_type: 'client_credentials',
      scope: scopes.join(' '),
      ...this.assertionFields(await this.createClientAssertion(agentId, act)),
    };
  }
}
