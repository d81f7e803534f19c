import { DualAuthError } from '../errors.js';
import type { Act } from '../domain/act.js';
import { ClientAssertionAdapter, type AssertionAdapterOptions } from './assertion-adapter.js';
import type { VendorProfile } from './base.js';
import { TOKEN_EXCHANGE_GRANT_TYPE, scopeField, type ExchangeRequest } from './delegation.js';
import type { AdapterConfigInput } from './config-input.js';

const AUTH0: VendorProfile = {
  name: 'Auth0',
  defaultExpiresIn: 86400,
  accept: 'application/json',
  statusMessages: {
    400: 'Bad request to Auth0 - check client assertion or audience',
    401: 'Authentication failed - check client credentials',
    403: 'Access forbidden - check client is authorized for API',
    429: 'Rate limit exceeded - too many requests to Auth0',
  },
  otherStatusMessage: (status, iamError) => `Auth0 error (${status}): ${iamError}`,
  networkMessage: (errorClass) => `Network error connecting to Auth0: ${errorClass}`,
};

/**
 * Auth0: client assertion with `act` (an Auth0 Action copies it into the token),
 * `audience` = API_AUDIENCE in the form, no scope. Assertion audience: the tenant
 * URL with a trailing '/', as Auth0 documents for private_key_jwt (use the
 * `privateKeyJwt` option for the vendor-documented key type).
 */
export class Auth0Adapter extends ClientAssertionAdapter {
  readonly assertionAudience: string;
  declare readonly audience: string;

  constructor(config: AdapterConfigInput, options: AssertionAdapterOptions = {}) {
    super(config, options, AUTH0);
    if (!this.audience) {
      this.logger.error({ event: 'auth0_config_error' }, "Auth0 adapter requires 'audience' in configuration");
      throw new DualAuthError("Auth0 adapter requires 'audience' configuration", 'ERR_CONFIGURATION');
    }
    const cut = this.tokenUrl.lastIndexOf('/oauth/');
    this.assertionAudience = `${cut === -1 ? this.tokenUrl : this.tokenUrl.slice(0, cut)}/`;
    this.logger.info({ event: 'adapter_initialized', ...this.describe(), audience: this.audience }, 'Auth0 adapter initialized');
  }

  protected async buildForm(agentId: string, act: Act | undefined): Promise<Record<string, string>> {
    return {
      grant_type: 'client_credentials',
      client_id: agentId,
      audience: this.audience,
      ...this.assertionFields(await this.createClientAssertion(agentId, act)),
    };
  }

  /**
   * Auth0 "On-Behalf-Of Token Exchange" (the agent is a Custom API client; the person's access
   * token is addressed to its API) and, with a `subjectTokenType` of your own namespace,
   * "Custom Token Exchange": the same form, with the API as `audience`.
   */
  protected async buildExchangeForm({ agentId, subjectToken, subjectTokenType, scopes }: ExchangeRequest): Promise<Record<string, string>> {
    return {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      client_id: agentId,
      subject_token: subjectToken,
      subject_token_type: subjectTokenType,
      audience: this.audience,
      ...scopeField(scopes),
      ...this.assertionFields(await this.createClientAssertion(agentId)),
    };
  }
}
