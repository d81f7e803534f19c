/**
 * The oidc-provider configuration of one vendor profile. oidc-provider does all
 * of the OAuth work (client authentication, client credentials grant, resource
 * indicators, JWT access tokens, JWKS, discovery); this module only adapts it
 * to the vendor's shape:
 * - `act` is read from the client assertion AFTER oidc-provider verified it
 *   (assertJwtClientAuthClaimsAndHeader runs post-verification) and copied into
 *   the access token by the JWT format customizer;
 * - the API audience comes from the resource indicator hooks (Auth0's
 *   `audience` form field, Entra's `<audience>/.default` scope, a fixed default
 *   for Keycloak and Okta);
 * - the token payload is reshaped to the vendor's claim layout.
 */
import { humanIdForLogging } from '../domain/act.js';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { Logger } from '../logging.js';
import { API_SCOPES, AGENT_GRANTED_SCOPES, ENTRA_TENANT_ID, PROFILES, shapeAccessTokenClaims, type LocalIamVendor } from './profiles.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { loadOidcProvider } from './optional.js';
import type { PersonTokenSigner } from './person-tokens.js';
import { exchangeGrantType, registerExchangeGrant } from './token-exchange.js';

export interface ProviderSettings {
  vendor: LocalIamVendor;
  issuer: string;
  apiAudience: string;
  clientId: string;
  clientSecret: string;
  clientObjectId: string;
  signingJwk: Record<string, unknown>;
  accessTokenTtlSeconds: number;
  /** Signs and verifies the tokens of people (login tokens, exchanged tokens). */
  personTokens: PersonTokenSigner;
  /** The ids of the people of this IAM. */
  userIds: ReadonlySet<string>;
  logger: Logger;
}

/** The oidc-provider instance, typed loosely: the package ships no types. */
export interface OidcProviderLike {
  callback(): (req: IncomingMessage, res: import('node:http').ServerResponse) => void;
  on(event: string, listener: (...args: any[]) => void): void;
}

export async function createProvider(settings: ProviderSettings): Promise<OidcProviderLike> {
  const { Provider, errors } = await loadOidcProvider();
  const profile = PROFILES[settings.vendor];
  // The act of the verified client assertion, per request.
  const verifiedAct = new WeakMap<IncomingMessage, Record<string, unknown>>();

  const resourceServer = {
    scope: settings.vendor === 'entraid' ? `${settings.apiAudience}/.default` : API_SCOPES.join(' '),
    audience: settings.apiAudience,
    accessTokenTTL: settings.accessTokenTtlSeconds,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };

  const client: Record<string, unknown> = {
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    // The agent may also exchange a person's token: the vendor's token exchange / On-Behalf-Of grant.
    grant_types: ['client_credentials', exchangeGrantType(settings.vendor)],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: profile.clientAuthMethod,
    ...(profile.clientAuthMethod === 'client_secret_jwt' ? { token_endpoint_auth_signing_alg: 'HS256' } : {}),
  };

  const configuration = {
    adapter: createMemoryAdapter(),
    clients: [client],
    jwks: { keys: [settings.signingJwk] },
    clientAuthMethods: [profile.clientAuthMethod],
    routes: profile.routes,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    // A machine-to-machine IAM: no browser endpoints are used, no CORS needed.
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx: any) => defaultResource(settings, ctx, errors),
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx: unknown, indicator: string) => {
          if (indicator !== settings.apiAudience) {
            throw new errors.InvalidTarget('unknown API audience');
          }
          return resourceServer;
        },
      },
    },
    ttl: {
      ClientCredentials: () => settings.accessTokenTtlSeconds,
      AccessToken: () => settings.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      RefreshToken: 600,
      Session: 600,
    },
    // Runs after oidc-provider verified the assertion's signature, iss, sub, aud, exp and jti.
    assertJwtClientAuthClaimsAndHeader: (ctx: any, claims: Record<string, unknown>) => {
      if (claims.act === undefined) return;
      const act = claims.act;
      if (!act || typeof act !== 'object' || Array.isArray(act) || typeof (act as { sub?: unknown }).sub !== 'string' || !(act as { sub: string }).sub) {
        throw new errors.InvalidClientAuth('act claim of the client assertion must be an object with a non-empty sub');
      }
      // As the Keycloak act mapper: an act naming the client itself is not copied (the client's own
      // token would read as RFC 8693 delegation, "this client acts for its own service account").
      if ((act as { sub: string }).sub === claims.sub) return;
      verifiedAct.set(ctx.req, act as Record<string, unknown>);
    },
    formats: {
      customizers: {
        jwt: (ctx: any, token: any, jwt: { header?: Record<string, unknown>; payload: Record<string, unknown> }) => {
          const payload = jwt.payload;
          const act = ctx?.req ? verifiedAct.get(ctx.req) : undefined;
          const scopes = settings.vendor === 'auth0'
            // Auth0 has no scope parameter for M2M: it grants what the client grant allows.
            ? AGENT_GRANTED_SCOPES
            : typeof payload.scope === 'string' && payload.scope ? payload.scope.split(' ') : [];
          jwt.header = { typ: profile.tokenTyp };
          jwt.payload = shapeAccessTokenClaims(settings.vendor, {
            issuer: settings.issuer,
            audience: settings.apiAudience,
            clientId: settings.clientId,
            clientObjectId: settings.clientObjectId,
            jti: String(payload.jti ?? randomUUID()),
            iat: Number(payload.iat),
            exp: Number(payload.exp),
            scopes: settings.vendor === 'entraid' ? [] : scopes,
            tenantId: ENTRA_TENANT_ID,
            ...(act ? { act } : {}),
          });
          settings.logger.info({
            event: 'local_iam_token_issued',
            vendor: settings.vendor,
            client_id: settings.clientId,
            act_sub: humanIdForLogging(act?.sub),
          });
        },
      },
    },
    // Keep error bodies to the OAuth error fields only.
    renderError: (ctx: any, out: Record<string, unknown>) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  };

  const provider = new Provider(settings.issuer, configuration);
  registerExchangeGrant(provider, errors, {
    vendor: settings.vendor,
    issuer: settings.issuer,
    apiAudience: settings.apiAudience,
    agentClientId: settings.clientId,
    userIds: settings.userIds,
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    signer: settings.personTokens,
    logger: settings.logger,
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => {
    settings.logger.error({ event: 'local_iam_server_error', error: error?.name });
  });
  provider.on('grant.error', (_ctx: unknown, error: { error?: string; error_description?: string }) => {
    settings.logger.warn({ event: 'local_iam_token_refused', error: error?.error, reason: error?.error_description });
  });
  return provider as OidcProviderLike;
}

/** The API audience of a token request, as each vendor derives it. */
function defaultResource(settings: ProviderSettings, ctx: any, errors: any): string {
  switch (settings.vendor) {
    case 'auth0': {
      // Auth0 names the API with the `audience` form field (its resource indicator).
      const audience = ctx.oidc?.body?.audience;
      if (typeof audience !== 'string' || !audience) {
        throw new errors.InvalidRequest('audience parameter is required');
      }
      return audience;
    }
    case 'entraid': {
      // Entra client credentials: scope must be `<resource>/.default`.
      const scope = typeof ctx.oidc?.params?.scope === 'string' ? ctx.oidc.params.scope : '';
      const scopes = scope.split(' ').filter(Boolean);
      if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default')) {
        throw new errors.InvalidScope('client credential flows must have a scope value with /.default suffixed to the resource identifier');
      }
      return scopes[0]!.slice(0, -'/.default'.length);
    }
    default:
      return settings.apiAudience;
  }
}
