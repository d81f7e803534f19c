import { DualAuthError } from '../errors.js';
import type { Act } from '../domain/act.js';
import { ClientAssertionAdapter, type AssertionAdapterOptions } from './assertion-adapter.js';
import type { VendorProfile } from './base.js';
import { TOKEN_EXCHANGE_GRANT_TYPE, scopeField, type ExchangeRequest } from './delegation.js';
import type { AdapterConfigInput } from './config-input.js';

const OKTA: VendorProfile = {
  name: 'Okta',
  defaultExpiresIn: 3600,
  accept: 'application/json',
  statusMessages: {
    400: 'Bad request to Okta - check client assertion or scope',
    401: 'Authentication failed - check client credentials',
    403: 'Access forbidden - check authorization policy',
    429: 'Rate limit exceeded - too many requests to Okta',
  },
  otherStatusMessage: (status, iamError) => `Okta error (${status}): ${iamError}`,
  networkMessage: (errorClass) => `Network error connecting to Okta: ${errorClass}`,
};

export interface OktaAdapterOptions extends AssertionAdapterOptions {
  /**
   * The client assertion's `aud`. 'authorization-server' (default, as the reference):
   * `{domain}/oauth2/{authServerId}`. 'token-endpoint': the token URL itself, as Okta documents.
   * Anything else is refused (ERR_CONFIGURATION). Default is 'authorization-server'.
   */
  assertionAudience?: 'authorization-server' | 'token-endpoint';
}

/** Okta: client assertion with `act` (a token inline hook or claim copies it), scopes joined by space. */
export class OktaAdapter extends ClientAssertionAdapter {
  readonly assertionAudience: string;
  readonly oktaDomain: string;
  readonly authServerId: string;
  declare readonly audience: string;

  constructor(config: AdapterConfigInput, options: OktaAdapterOptions = {}) {
    super(config, options, OKTA);
    if (!this.audience) {
      this.logger.error({ event: 'okta_config_error' }, "Okta adapter requires 'audience' in configuration");
      throw new DualAuthError("Okta adapter requires 'audience' configuration", 'ERR_CONFIGURATION');
    }
    const at = this.tokenUrl.indexOf('/oauth2/');
    if (at === -1) {
      this.logger.error({ event: 'okta_url_parse_error' }, 'Invalid Okta token URL format');
      throw new DualAuthError('Invalid Okta token URL format. Expected: https://domain.okta.com/oauth2/aus123.../v1/token', 'ERR_CONFIGURATION');
    }
    this.oktaDomain = this.tokenUrl.slice(0, at);
    this.authServerId = this.tokenUrl.slice(at + '/oauth2/'.length).split('/')[0] ?? '';
    const audienceOption = options.assertionAudience ?? 'authorization-server';
    if (audienceOption !== 'authorization-server' && audienceOption !== 'token-endpoint') {
      throw new DualAuthError("assertionAudience must be 'authorization-server' or 'token-endpoint'", 'ERR_CONFIGURATION');
    }
    this.assertionAudience = audienceOption === 'token-endpoint' ? this.tokenUrl : `${this.oktaDomain}/oauth2/${this.authServerId}`;
    this.logger.info(
      { event: 'adapter_initialized', ...this.describe(), audience: this.audience, auth_server_id: this.authServerId },
      'Okta adapter initialized',
    );
  }

  protected async buildForm(agentId: string, act: Act | undefined, scopes: readonly string[]): Promise<Record<string, string>> {
    return {
      grant_type: 'client_credentials',
      scope: scopes.join(' '),
      ...this.assertionFields(await this.createClientAssertion(agentId, act)),
    };
  }

  /**
   * Okta "On-Behalf-Of Token Exchange" (the agent is a service app allowed the Token Exchange
   * grant): the person's access token, the target authorization server's `audience`, the scopes.
   */
  protected async buildExchangeForm({ agentId, subjectToken, subjectTokenType, scopes }: ExchangeRequest): Promise<Record<string, string>> {
    return {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: subjectToken,
      subject_token_type: subjectTokenType,
      audience: this.audience,
      ...scopeField(scopes),
      ...this.assertionFields(await this.createClientAssertion(agentId)),
    };
  }
}
