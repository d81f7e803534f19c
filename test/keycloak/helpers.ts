/** What the Keycloak tests share: the realm's values, the CA, JWKS verification, raw requests. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { CLIENT_ASSERTION_TYPE, createFetch, HttpClient } from '../../src/index.js';
import { keycloakEnv, paths } from '../../scripts/keycloak/provision.js';
import { markSensitive } from '../helpers/log-audit.js';

export const env = keycloakEnv();
export const ca = readFileSync(paths.caCert, 'utf8');
export const realmUrl = env.KEYCLOAK_ISSUER;

interface RealmClient {
  clientId: string;
  secret?: string;
}
const realm = JSON.parse(readFileSync(paths.realmJson, 'utf8')) as { clients: RealmClient[] };
export function clientSecret(clientId: string): string {
  const client = realm.clients.find((c) => c.clientId === clientId);
  if (!client?.secret) throw new Error(`no confidential client ${clientId} in the realm export`);
  return client.secret;
}

markSensitive(env.AGENT_CLIENT_SECRET, env.TEST_USER_EMAIL, env.TEST_USER_PASSWORD, ...realm.clients.map((c) => c.secret));

const jwks = createRemoteJWKSet(new URL(env.KEYCLOAK_JWKS_URL), { [customFetch]: createFetch({ ca, retries: 0 }) });

/** Verifies an access token with the realm's JWKS (signature, issuer, expiry, API audience). */
export async function verifyAccessToken(token: string): Promise<JWTPayload & Record<string, unknown>> {
  markSensitive(token);
  const { payload } = await jwtVerify(token, jwks, { issuer: realmUrl, audience: env.KEYCLOAK_API_AUDIENCE, algorithms: ['RS256'] });
  return payload as JWTPayload & Record<string, unknown>;
}

export function realmRoles(payload: Record<string, unknown>): string[] {
  const access = payload.realm_access as { roles?: unknown } | undefined;
  return Array.isArray(access?.roles) ? (access.roles as string[]) : [];
}

const http = new HttpClient({ ca, retries: 0, timeoutMs: 15_000 });

/** A client assertion built with jose directly: HS256, iss = sub = clientId, aud = realm URL. */
export async function clientAssertion(clientId: string, secret: string, claims: Record<string, unknown>, jti = randomUUID()): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(realmUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(jti)
    .sign(new TextEncoder().encode(secret));
  markSensitive(assertion);
  return assertion;
}

export interface RawTokenAnswer {
  status: number;
  body: Record<string, unknown>;
  /** The decoded (not verified) access token, when one came. */
  claims?: Record<string, unknown>;
}

/** POSTs a client_credentials request through the library's HTTP layer. */
export async function postToken(form: Record<string, string>): Promise<RawTokenAnswer> {
  return postForm({ grant_type: 'client_credentials', ...form });
}

/**
 * The test user signs in to the web app's public login client with their password (direct
 * access grant): their own access token, as a web app holds it after login.
 */
export async function loginTestUser(clientId = env.USER_LOGIN_CLIENT_ID): Promise<RawTokenAnswer & { accessToken: string }> {
  const answer = await postForm({ grant_type: 'password', client_id: clientId, username: env.TEST_USER_USERNAME, password: env.TEST_USER_PASSWORD, scope: 'openid' });
  if (answer.status !== 200 || typeof answer.body.access_token !== 'string') throw new Error(`login failed: HTTP ${answer.status} ${String(answer.body.error)}`);
  return { ...answer, accessToken: answer.body.access_token };
}

/** POSTs a form to the token endpoint as given, through the library's HTTP layer. */
export async function postForm(form: Record<string, string>): Promise<RawTokenAnswer> {
  const answer = await http.request(env.KEYCLOAK_TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    retry: false,
  });
  const body = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
  const token = typeof body.access_token === 'string' ? body.access_token : undefined;
  if (token) markSensitive(token);
  return { status: answer.status, body, ...(token ? { claims: decodeJwt(token) as Record<string, unknown> } : {}) };
}

export function assertionForm(assertion: string, scope = 'finance.read'): Record<string, string> {
  return { scope, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
}
