import type { KeyObject } from 'node:crypto';
import { DualAuthError } from '../errors.js';
import type { Act } from '../domain/act.js';
import { newJti, nowSeconds } from '../domain/jti.js';
import { computeAth } from '../jwt/ath.js';
import { signCompact } from '../jwt/compact.js';
import { loadRsaPrivateKey } from '../jwt/keys.js';
import { BaseAdapter, type AdapterOptions, type VendorProfile } from './base.js';
import type { AdapterConfigInput } from './config-input.js';
import { ACCESS_TOKEN_TYPE, type ExchangeRequest } from './delegation.js';
import type { TokenResponseInit } from '../domain/token-response.js';

const ENTRAID: VendorProfile = {
  name: 'EntraID',
  defaultExpiresIn: 3599,
  accept: '*/*',
  statusMessages: {
    400: 'Bad request - check credentials',
    401: 'Authentication failed',
    403: 'Access forbidden',
  },
  otherStatusMessage: (status) => `EntraID error (${status})`,
  networkMessage: (errorClass) => `Network error: ${errorClass}`,
};

export const ACT_ASSERTION_LIFETIME_SECONDS = 300;

/** The On-Behalf-Of request's grant type (RFC 7523 JWT bearer) and its marker, as Microsoft documents them. */
const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ON_BEHALF_OF = 'on_behalf_of';

export interface EntraIDAdapterOptions extends AdapterOptions {
  /**
   * Bind the act assertion to the access token it travels with: the assertion
   * carries `ath` = base64url(SHA-256(access token)), and a verifier with
   * `bindAgentToken` requires the match. Off by default (the reference has no `ath`).
   */
  bindAgentToken?: boolean;
  /** `kid` header on the act assertion, for key rotation on the API side. */
  actAssertionKid?: string;
}

/**
 * Microsoft Entra ID: client_credentials cannot carry custom claims, so the agent
 * token (client_secret_post, a `.default` scope) travels with a separate act
 * assertion signed RS256 by the application (the `X-Act-Assertion` header).
 * With delegation 'token-exchange': the On-Behalf-Of flow (the person is in the token).
 * With 'assertion': the application signed the act assertion; the agent holds no application key.
 */
export class EntraIDAdapter extends BaseAdapter {
  readonly scope: string;
  /** APP_ID: `iss`/`sub` of the act assertion this adapter signs (delegation 'act'; otherwise as configured, if at all). */
  readonly appId: string | undefined;
  /** API_AUDIENCE: `aud` of the act assertion this adapter signs (delegation 'act'; otherwise as configured, if at all). */
  readonly actAudience: string | undefined;
  /** The application's key: only delegation 'act' signs act assertions inside the agent. */
  readonly #appPrivateKey: KeyObject | undefined;
  private readonly bindAgentToken: boolean;
  private readonly actAssertionKid: string | undefined;

  constructor(config: AdapterConfigInput, options: EntraIDAdapterOptions = {}) {
    super(config, options, ENTRAID);
    const { scope, appPrivateKeyPath, appId, actAudience } = this.settings;
    const signsActAssertions = this.delegation === 'act';
    const required: Array<[string, string | undefined]> = signsActAssertions
      ? [
          ['scope', scope],
          ['app_private_key_path', appPrivateKeyPath],
          ['app_id', appId],
          ['act_audience', actAudience],
        ]
      : [['scope', scope]];
    const missing = required.filter(([, value]) => value === undefined).map(([name]) => name);
    if (missing.length > 0) {
      this.logger.error({ event: 'entraid_config_error', missing_fields: missing }, 'EntraID adapter missing required configuration');
      throw new DualAuthError(`EntraID adapter requires: ${missing.join(', ')}`, 'ERR_CONFIGURATION');
    }
    if (signsActAssertions) {
      try {
        this.#appPrivateKey = loadRsaPrivateKey(appPrivateKeyPath!);
      } catch (error) {
        this.logger.error({ event: 'entraid_key_load_error', error_type: (error as Error).name }, 'Failed to load application private key');
        throw error;
      }
    }
    this.scope = scope!;
    this.appId = appId;
    this.actAudience = actAudience;
    // Only the reference mode signs an assertion inside the agent; the other modes would drop these silently.
    if (!signsActAssertions) {
      const unused = (['bindAgentToken', 'actAssertionKid'] as const).filter((name) => options[name] !== undefined && options[name] !== false);
      if (unused.length > 0) {
        throw new DualAuthError(`${unused.join(', ')}: not used with delegation '${this.delegation}' (the agent signs no act assertion)`, 'ERR_CONFIGURATION');
      }
    }
    this.bindAgentToken = options.bindAgentToken ?? false;
    this.actAssertionKid = options.actAssertionKid;
    this.logger.info(
      { event: 'adapter_initialized', ...this.describe(), app_id: this.appId, tenant_id: this.tokenUrl.split('/')[3] ?? 'unknown', act_audience: this.actAudience },
      'EntraID adapter initialized (hybrid approach)',
    );
  }

  /** The configured API scope; the requested scopes are ignored, as in the reference. */
  protected async buildForm(): Promise<Record<string, string>> {
    return { grant_type: 'client_credentials', client_id: this.clientId, client_secret: this.clientSecret, scope: this.scope };
  }

  /**
   * "Microsoft identity platform and OAuth 2.0 On-Behalf-Of flow": the person's access token
   * (addressed to this app) as `assertion`, the configured API scope, `requested_token_use`.
   */
  protected async buildExchangeForm({ subjectToken }: ExchangeRequest): Promise<Record<string, string>> {
    return {
      grant_type: JWT_BEARER_GRANT_TYPE,
      client_id: this.clientId,
      client_secret: this.clientSecret,
      assertion: subjectToken,
      scope: this.scope,
      requested_token_use: ON_BEHALF_OF,
    };
  }

  /** On-Behalf-Of takes the access token the person sent to this app, nothing else. */
  protected override acceptsSubjectTokenType(subjectTokenType: string): boolean {
    return subjectTokenType === ACCESS_TOKEN_TYPE;
  }

  protected override defaultScope(): string {
    return this.scope;
  }

  protected override async completeResponse(token: TokenResponseInit, act: Act): Promise<TokenResponseInit> {
    return { ...token, actAssertion: this.createActAssertion(act, token.accessToken) };
  }

  /** RS256, claims in the Python order (iss, sub, aud, exp, iat, jti, act), plus `ath` when bound. */
  private createActAssertion(act: Act, accessToken: string): string {
    const now = nowSeconds();
    const claims: Record<string, unknown> = {
      iss: this.appId,
      sub: this.appId,
      aud: this.actAudience,
      exp: now + ACT_ASSERTION_LIFETIME_SECONDS,
      iat: now,
      jti: newJti(),
      act,
    };
    if (this.bindAgentToken) claims.ath = computeAth(accessToken);
    const header = { alg: 'RS256', typ: 'JWT', ...(this.actAssertionKid ? { kid: this.actAssertionKid } : {}) };
    return signCompact('RS256', header, claims, this.#appPrivateKey!);
  }
}
