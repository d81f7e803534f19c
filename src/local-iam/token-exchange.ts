/**
 * The exchange grant of the local IAM, registered on oidc-provider (registerGrantType):
 * oidc-provider parses the form and authenticates the agent with its own client
 * authentication (client_secret_jwt, client_secret_post); this handler checks the
 * vendor's request, verifies the person's token and issues the vendor's delegated token.
 * - Keycloak, Auth0, Okta: RFC 8693 token exchange (subject_token, subject_token_type);
 * - Entra ID: the On-Behalf-Of request (jwt-bearer grant, assertion, requested_token_use).
 * Refusals use each vendor's error codes where they are known (Keycloak's as the real
 * Keycloak 26.7 answers them); nothing of the subject token is logged.
 */
import { humanIdForLogging } from '../domain/act.js';
import type { Logger } from '../logging.js';
import { lifetime, type PersonTokenSigner } from './person-tokens.js';
import { AGENT_GRANTED_SCOPES, API_SCOPES, ENTRA_TENANT_ID, PROFILES, agentSubjectAudience, shapeDelegatedTokenClaims, type LocalIamVendor } from './profiles.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** The grant type the vendor's exchange request uses. */
export function exchangeGrantType(vendor: LocalIamVendor): string {
  return vendor === 'entraid' ? JWT_BEARER_GRANT : TOKEN_EXCHANGE_GRANT;
}

export interface ExchangeGrantSettings {
  vendor: LocalIamVendor;
  issuer: string;
  apiAudience: string;
  /** The one client allowed to exchange: the agent. */
  agentClientId: string;
  /** The people of this IAM, by id: a subject token must name one of them. */
  userIds: ReadonlySet<string>;
  accessTokenTtlSeconds: number;
  signer: PersonTokenSigner;
  logger: Logger;
}

interface ProviderWithGrants {
  registerGrantType(name: string, handler: (ctx: any) => Promise<void>, params: string[]): void;
}

export function registerExchangeGrant(provider: ProviderWithGrants, errors: any, settings: ExchangeGrantSettings): void {
  const { vendor } = settings;
  const refuse = (code: string, description: string, status = 400): Error => {
    const error = new errors.CustomOIDCProviderError(code, description);
    error.status = error.statusCode = status;
    return error;
  };
  // Keycloak answers a bad subject token with invalid_request "Invalid token"; the others with invalid_grant.
  const invalidSubject = (): Error => (vendor === 'keycloak' ? refuse('invalid_request', 'Invalid token') : refuse('invalid_grant', 'subject token is invalid or expired'));

  const handler = async (ctx: any): Promise<void> => {
    const params: Record<string, string | undefined> = ctx.oidc.params;
    if (ctx.oidc.client.clientId !== settings.agentClientId) throw refuse('unauthorized_client', 'client is not allowed to exchange tokens');

    let subjectToken: string | undefined;
    let scopes: string[];
    if (vendor === 'entraid') {
      if (params.requested_token_use !== 'on_behalf_of') throw refuse('invalid_request', "requested_token_use must be 'on_behalf_of'");
      subjectToken = params.assertion;
      const asked = (params.scope ?? '').split(' ').filter(Boolean);
      if (asked.length !== 1 || asked[0] !== `${settings.apiAudience}/.default`) throw refuse('invalid_scope', `scope must be ${settings.apiAudience}/.default`);
      scopes = [...AGENT_GRANTED_SCOPES]; // the delegated permissions consented for the API
    } else {
      subjectToken = params.subject_token;
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw refuse('invalid_request', 'subject_token_type must be an access token type');
      if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
        throw refuse('invalid_request', 'requested_token_type must be an access token type');
      }
      // Auth0 and Okta name the API in `audience`; Keycloak takes it from the agent's scopes.
      if (vendor !== 'keycloak' && params.audience !== settings.apiAudience) throw refuse('invalid_target', 'audience is not a known API');
      scopes = (params.scope ?? '').split(' ').filter(Boolean);
      const unknown = scopes.filter((scope) => !(API_SCOPES as readonly string[]).includes(scope));
      if (unknown.length > 0) throw refuse('invalid_scope', `Invalid scopes: ${unknown.join(' ')}`);
    }
    if (!subjectToken) throw refuse('invalid_request', vendor === 'entraid' ? 'assertion is required' : 'subject_token is required');

    let subject: Record<string, unknown>;
    try {
      subject = await settings.signer.verify(subjectToken);
    } catch {
      throw invalidSubject();
    }
    const userId = vendor === 'entraid' ? subject.oid : subject.sub;
    // On-Behalf-Of and token exchange act for people: a client's own token names no one.
    if (typeof userId !== 'string' || !settings.userIds.has(userId)) throw refuse('invalid_grant', 'subject token does not name a user');
    const audiences = Array.isArray(subject.aud) ? subject.aud : [subject.aud];
    if (!audiences.includes(agentSubjectAudience(vendor, settings.agentClientId))) {
      throw vendor === 'keycloak' ? refuse('access_denied', 'Client is not within the token audience', 403) : refuse('invalid_grant', 'subject token is not addressed to this client');
    }

    const claims = shapeDelegatedTokenClaims(vendor, {
      issuer: settings.issuer,
      audience: settings.apiAudience,
      clientId: settings.agentClientId,
      userId,
      scopes,
      tenantId: ENTRA_TENANT_ID,
      ...lifetime(settings.accessTokenTtlSeconds),
    });
    const accessToken = await settings.signer.sign(claims, PROFILES[vendor].tokenTyp);
    settings.logger.info({ event: 'local_iam_token_issued', vendor, client_id: settings.agentClientId, grant: 'exchange', sub: humanIdForLogging(userId) });
    ctx.body = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: settings.accessTokenTtlSeconds,
      // Entra ID names delegated permissions with their resource; the others by name.
      scope: (vendor === 'entraid' ? scopes.map((scope) => `${settings.apiAudience}/${scope}`) : scopes).join(' '),
      // RFC 8693 answers name the issued token's type; Entra's On-Behalf-Of answer does not.
      ...(vendor === 'entraid' ? {} : { issued_token_type: ACCESS_TOKEN_TYPE }),
    };
  };

  const params =
    vendor === 'entraid'
      ? ['assertion', 'scope', 'requested_token_use']
      : ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'scope', 'resource', 'actor_token', 'actor_token_type'];
  provider.registerGrantType(exchangeGrantType(vendor), handler, params);
}
