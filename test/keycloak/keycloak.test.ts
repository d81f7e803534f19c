/**
 * The library against a real Keycloak 26 with the dual-auth act mapper
 * (integrations/keycloak-act-mapper) and the checked-in realm
 * (integrations/keycloak/realm-dual-auth.json). Keycloak is started by
 * global-setup.ts; every token below is issued and signed by Keycloak itself.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAdapter,
  getConfig,
  HybridSender,
  InSessionTokenRequest,
  KeycloakAdapter,
  OutOfSessionTokenRequest,
  TokenRequestError,
  UserSession,
  verifyDualSubjectToken,
  type BaseAdapter,
} from '../../src/index.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';
import { assertionForm, ca, clientAssertion, clientSecret, env, postToken, realmRoles, verifyAccessToken } from './helpers.js';

const AGENT = env.AGENT_CLIENT_ID;
const USER = { userEmail: env.TEST_USER_EMAIL, userName: 'Alice Example', userId: env.TEST_USER_ID };
markSensitive(USER.userName);

let adapter: BaseAdapter;

beforeAll(async () => {
  // The configuration path a user takes: the values of .keycloak.env through getConfig.
  const config = await getConfig({ vendor: 'keycloak', env: { ...env } });
  adapter = createAdapter(config, { ca, logger: auditLogger() });
  expect(adapter).toBeInstanceOf(KeycloakAdapter);
});

describe('in-session flow against Keycloak', () => {
  it('issues a signed access token whose act is the logged-in human and whose client is the agent', async () => {
    const sender = new HybridSender({ logger: auditLogger() });
    const act = sender.prepareInSessionAct(sender.extractActFromSession(new UserSession(USER)));
    const token = await new InSessionTokenRequest(adapter, { logger: auditLogger() }).requestToken({ agentId: AGENT, act, scope: ['finance.read'] });

    expect(token.tokenType).toBe('Bearer');
    expect(token.scope.split(' ')).toContain('finance.read');
    const claims = await verifyAccessToken(token.accessToken);
    expect(claims.act).toEqual({ sub: env.TEST_USER_ID, email: env.TEST_USER_EMAIL, name: USER.userName });
    expect(claims.azp).toBe(AGENT);
    expect(realmRoles(claims)).toContain('FinanceAgent');
    expect(realmRoles(claims)).not.toContain('FinanceUser'); // the agent's roles, not the human's
    expect(claims.sub).not.toBe(env.TEST_USER_ID); // sub is the agent's service account
    expect(String(claims.scope).split(' ')).toEqual(['finance.read']);

    // The API side of the library reads the same token the same way.
    const identity = await verifyDualSubjectToken(token.accessToken, {
      vendor: 'keycloak',
      issuer: env.KEYCLOAK_ISSUER,
      audience: env.KEYCLOAK_API_AUDIENCE,
      jwksUri: env.KEYCLOAK_JWKS_URL,
      ca,
    });
    expect(identity.agent.id).toBe(AGENT);
    expect(identity.agent.roles).toContain('FinanceAgent');
    expect(identity.agent.scopes).toEqual(['finance.read']);
    expect(identity.human).toMatchObject({ id: env.TEST_USER_ID, email: env.TEST_USER_EMAIL });
  });

  it('grants both optional finance scopes when asked', async () => {
    const token = await adapter.requestToken({ agentId: AGENT, act: { sub: env.TEST_USER_ID }, scope: ['finance.read', 'finance.write'] });
    const claims = await verifyAccessToken(token.accessToken);
    expect(String(claims.scope).split(' ').sort()).toEqual(['finance.read', 'finance.write']);
    expect(claims.act).toEqual({ sub: env.TEST_USER_ID });
  });
});

describe('out-of-session flow against Keycloak', () => {
  it('verifies the RS256 act JWT, then obtains a token carrying that act', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const endpoint = 'https://agent.example.com/invoke';

    const sender = new HybridSender({ privateKeyPem: privatePem, logger: auditLogger() });
    const actJwt = await sender.prepareOutOfSessionAct({ act: sender.extractActFromSession(new UserSession(USER)), agentEndpoint: endpoint, ttlSeconds: 60 });
    markSensitive(actJwt);

    const agentSide = new OutOfSessionTokenRequest({ adapter, appPublicKey: publicPem, logger: auditLogger() });
    const act = await agentSide.receiveAndVerifyActJwt({ actJwt, expectedAudience: endpoint });
    const token = await agentSide.requestToken({ agentId: AGENT, act, scope: ['finance.write'] });

    const claims = await verifyAccessToken(token.accessToken);
    expect((claims.act as { sub?: unknown }).sub).toBe(env.TEST_USER_ID);
    expect(claims.azp).toBe(AGENT);
    expect(realmRoles(claims)).toContain('FinanceAgent');
    expect(String(claims.scope).split(' ')).toEqual(['finance.write']);
  });
});

describe("Keycloak's refusals surface as TokenRequestError", () => {
  it('a wrong client secret: Keycloak 26 answers 400 unauthorized_client (signature check failed)', async () => {
    const wrong = createAdapter({ vendor: 'keycloak', tokenUrl: env.KEYCLOAK_TOKEN_URL, clientId: AGENT, clientSecret: `wrong-${randomUUID()}` }, { ca, retries: 0 });
    const error = await rejection(wrong.requestToken({ agentId: AGENT, act: { sub: env.TEST_USER_ID }, scope: ['finance.read'] }));
    expect(error).toBeInstanceOf(TokenRequestError);
    const failure = error as TokenRequestError;
    // Keycloak's client-secret-jwt authenticator answers a bad signature with 400, not 401.
    expect(failure.statusCode).toBe(400);
    expect(failure.iamError).toBe('unauthorized_client');
    expect(failure.message).toBe('Bad request to Keycloak - check client assertion format');
  });

  it('an unknown agent client: 401 invalid_client', async () => {
    const stranger = createAdapter(
      { vendor: 'keycloak', tokenUrl: env.KEYCLOAK_TOKEN_URL, clientId: 'no-such-agent', clientSecret: `s-${randomUUID()}` },
      { ca, retries: 0 },
    );
    const error = (await rejection(stranger.requestToken({ agentId: 'no-such-agent', act: { sub: env.TEST_USER_ID }, scope: [] }))) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.statusCode).toBe(401);
    expect(error.iamError).toBe('invalid_client');
    expect(error.message).toBe('Authentication failed - check client credentials');
  });

  it('an unknown scope: 400 invalid_scope with the reference text', async () => {
    const error = (await rejection(adapter.requestToken({ agentId: AGENT, act: { sub: env.TEST_USER_ID }, scope: ['finance.admin'] }))) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.statusCode).toBe(400);
    expect(error.iamError).toBe('invalid_scope');
    expect(error.iamErrorDescription).toBe('Invalid scopes: finance.admin');
    expect(error.message).toBe('Bad request to Keycloak - check client assertion format');
  });

  it('a replayed client assertion (same jti) is refused by Keycloak', async () => {
    const assertion = await clientAssertion(AGENT, env.AGENT_CLIENT_SECRET, { act: { sub: env.TEST_USER_ID } }, `replay-${randomUUID()}`);
    const first = await postToken(assertionForm(assertion));
    expect(first.status).toBe(200);
    expect(first.claims?.act).toEqual({ sub: env.TEST_USER_ID });

    const second = await postToken(assertionForm(assertion));
    expect(second.status).toBe(400);
    expect(second.body).toEqual({ error: 'invalid_client', error_description: 'Token reuse detected' });
    expect(second.claims).toBeUndefined();
  });
});

describe('the act mapper copies only a well-formed act from a verified assertion', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no act claim', {}],
    ['act without sub', { act: { email: 'someone@example.com' } }],
    ['act with a non-string sub', { act: { sub: 42 } }],
    ['act with an empty sub', { act: { sub: '' } }],
    ['act as a string', { act: 'someone' }],
    ['act as an array', { act: [{ sub: 'someone' }] }],
    // It would read as RFC 8693 delegation: "the agent acts for sub", sub being its own service account.
    ['act naming the agent itself', { act: { sub: AGENT } }],
  ];
  for (const [name, claims] of cases) {
    it(`${name}: token issued without act`, async () => {
      const answer = await postToken(assertionForm(await clientAssertion(AGENT, env.AGENT_CLIENT_SECRET, claims)));
      expect(answer.status).toBe(200);
      const verified = await verifyAccessToken(answer.body.access_token as string);
      expect(verified.azp).toBe(AGENT);
      expect(verified).not.toHaveProperty('act');
    });
  }

  it('keeps the whole act object (extra members included)', async () => {
    const act = { sub: env.TEST_USER_ID, email: env.TEST_USER_EMAIL, oid: 'object-id-1' };
    const answer = await postToken(assertionForm(await clientAssertion(AGENT, env.AGENT_CLIENT_SECRET, { act })));
    expect((await verifyAccessToken(answer.body.access_token as string)).act).toEqual(act);
  });

  it('never copies an unverified assertion: a client_secret client sending a forged client_assertion gets no act', async () => {
    const clientId = 'act-mapper-guard-client-secret';
    const forged = await clientAssertion(clientId, 'not-the-client-secret', { act: { sub: 'injected-human' } });
    const answer = await postToken({ ...assertionForm(forged), client_id: clientId, client_secret: clientSecret(clientId) });
    expect(answer.status).toBe(200); // authenticated by its secret, the assertion ignored
    expect(answer.claims?.azp).toBe(clientId);
    expect(answer.claims).not.toHaveProperty('act');
  });
});

describe("the reference guide's User Attribute mapper", () => {
  it('puts no act in the token: it reads the service account user, not the client assertion', async () => {
    const clientId = 'finance-agent-reference-mapper';
    const reference = new KeycloakAdapter({ tokenUrl: env.KEYCLOAK_TOKEN_URL, clientId, clientSecret: clientSecret(clientId) }, { ca });
    const token = await reference.requestToken({ agentId: clientId, act: { sub: env.TEST_USER_ID, email: env.TEST_USER_EMAIL }, scope: ['finance.read'] });
    markSensitive(token.accessToken);
    const answer = token.accessToken.split('.')[1]!;
    const claims = JSON.parse(Buffer.from(answer, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims.azp).toBe(clientId);
    expect(claims).not.toHaveProperty('act');
  });
});
