/** The shared shape of Keycloak, Auth0 and Okta: a client assertion, carrying `act` in the reference mode. */
import type { Act } from '../domain/act.js';
import { BaseAdapter, type AdapterOptions, type VendorProfile } from './base.js';
import { CLIENT_ASSERTION_TYPE, createAssertionSigner, type AssertionSigner, type PrivateKeyJwtOptions } from './assertion-signer.js';
import type { AdapterConfigInput } from './config-input.js';

export interface AssertionAdapterOptions extends AdapterOptions {
  /** Sign the client assertion with a private key (private_key_jwt) instead of the client secret (HS256). */
  privateKeyJwt?: PrivateKeyJwtOptions;
}

export abstract class ClientAssertionAdapter extends BaseAdapter {
  private readonly signAssertion: AssertionSigner;

  protected constructor(config: AdapterConfigInput, options: AssertionAdapterOptions, profile: VendorProfile) {
    super(config, options, profile, !options.privateKeyJwt);
    this.signAssertion = createAssertionSigner(this.clientSecret, options.privateKeyJwt);
  }

  /** The `aud` of the client assertion. */
  abstract readonly assertionAudience: string;

  /** Without `act`, the assertion authenticates the agent only (token exchange, agent-only tokens). */
  protected createClientAssertion(agentId: string, act?: Act): Promise<string> {
    return this.signAssertion(agentId, this.assertionAudience, act);
  }

  protected assertionFields(assertion: string): Record<string, string> {
    return { client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
  }
}
