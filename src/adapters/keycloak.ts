import type { Act } from '../domain/act.js';
import { ClientAssertionAdapter, type AssertionAdapterOptions } from './assertion-adapter.js';
import type { VendorProfile } from './base.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE, scopeField, type ExchangeRequest } from './delegation.js';
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
 * With delegation 'token-exchange': standard token exchange, the same client assertion without `act`.
 */
export class KeycloakAdapter extends ClientAssertionAdapter {
  readonly assertionAudience: string;

  constructor(config: AdapterConfigInput, options: AssertionAdapterOptions = {}) {
    super(config, options, KEYCLOAK);
    const cut = this.tokenUrl.lastIndexOf('/protocol/');
    this.assertionAudience = this.audience ?? (cut === -1 ? this.tokenUrl : this.tokenUrl.slice(0, cut));
    this.logger.info({ event: 'adapter_initialized', ...this.describe(), audience: this.assertionAudience }, 'Keycloak adapter initialized');
  }

  protected async buildForm(agentId: string, act: Act | undefined, scopes: readonly string[]): Promise<Record<string, string>> {
    return {
      grant_type: 'client_credentials',
      scope: scopes.join(' '),
      ...this.assertionFields(await this.createClientAssertion(agentId, act)),
    };
  }

  /**
   * Keycloak "standard token exchange" (version 2, Keycloak 26.2+): the person's access token
   * (its audience must name this client), an access token asked back, the scopes; no `audience`,
   * so the token's audience comes from this client's scopes and mappers.
   */
  protected async buildExchangeForm({ agentId, subjectToken, subjectTokenType, scopes }: ExchangeRequest): Promise<Record<string, string>> {
    return {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: subjectToken,
      subject_token_type: subjectTokenType,
      requested_token_type: ACCESS_TOKEN_TYPE,
      ...scopeField(scopes),
      ...this.assertionFields(await this.createClientAssertion(agentId)),
    };
  }
}
