/**
 * No public object prints a secret, by any route: console.log (util.format),
 * util.inspect (also with showHidden), JSON.stringify, String(), and the same
 * after spreading the object (`{ ...config }`) or copying it with Object.assign.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth0Adapter,
  EntraIDAdapter,
  EnvironmentSecretsBackend,
  HybridSender,
  InSessionTokenRequest,
  KeycloakAdapter,
  OktaAdapter,
  OutOfSessionTokenRequest,
  TokenResponse,
  createAdapter,
  getConfig,
} from '../../src/index.js';
import { markSensitive } from '../helpers/log-audit.js';
import { formFields, json, startTestServer, type TestServer } from '../helpers/https-server.js';

const SECRET = `redaction-secret-${randomBytes(8).toString('hex')}`;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PUBLIC_PEM = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
// The key's base64 body, whichever line of it would leak.
const PRIVATE_KEY_LINE = PRIVATE_PEM.split('\n')[5] as string;
markSensitive(SECRET, PRIVATE_KEY_LINE);

const dir = mkdtempSync(join(tmpdir(), 'dual-auth-redaction-'));
const privateKeyPath = join(dir, 'app-private.pem');
writeFileSync(privateKeyPath, PRIVATE_PEM, { mode: 0o600 });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((_, res) => json(res, 200, { access_token: 'at-redaction-test' }));
});
afterAll(() => server.close());

/** Every way an object is commonly printed or serialised, on the object and on copies of it. */
function printedForms(value: object): string[] {
  const forms: string[] = [];
  for (const candidate of [value, { ...value }, Object.assign({}, value), { nested: { deeper: value } }]) {
    forms.push(
      format('%s %o %O %j', candidate, candidate, candidate, candidate),
      format(candidate),
      inspect(candidate, { depth: Infinity }),
      inspect(candidate, { depth: Infinity, showHidden: true, getters: true }),
      JSON.stringify(candidate) ?? '',
      String(candidate),
      JSON.stringify(Object.entries(candidate)),
    );
  }
  return forms;
}

function expectNoSecret(value: object, ...secrets: string[]): void {
  for (const text of printedForms(value)) {
    for (const secret of [SECRET, PRIVATE_KEY_LINE, ...secrets]) expect(text).not.toContain(secret);
  }
}

const entraConfig = () => ({
  tokenUrl: server.url('/tenant/oauth2/v2.0/token'),
  clientId: 'entra-agent',
  clientSecret: SECRET,
  scope: 'https://api.example.com/.default',
  appPrivateKeyPath: privateKeyPath,
  appId: 'https://app.example.com',
  actAudience: 'https://api.example.com',
});

describe('adapters never print their client secret', () => {
  const adapters: Array<[string, () => object]> = [
    ['Keycloak', () => new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'a', clientSecret: SECRET }, { ca: server.caCert })],
    ['Keycloak private_key_jwt', () => new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'a' }, { privateKeyJwt: { privateKey: PRIVATE_PEM } })],
    ['Auth0', () => new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'a', clientSecret: SECRET, audience: 'https://api' })],
    ['Okta', () => new OktaAdapter({ tokenUrl: server.url('/oauth2/aus1/v1/token'), clientId: 'a', clientSecret: SECRET, audience: 'api://default' })],
    ['EntraID', () => new EntraIDAdapter(entraConfig())],
    ['EntraID (snake_case config)', () => createAdapter({ vendor: 'entraid', token_url: server.url('/t/oauth2/v2.0/token'), client_id: 'a', client_secret: SECRET, scope: 's/.default', app_private_key_path: privateKeyPath, app_id: 'app', act_audience: 'aud' } as never)],
  ];
  it.each(adapters)('%s', (_name, make) => {
    const adapter = make();
    expectNoSecret(adapter);
    // The handlers that hold an adapter print none either.
    expectNoSecret(new InSessionTokenRequest(adapter as KeycloakAdapter));
    expectNoSecret(new OutOfSessionTokenRequest({ adapter: adapter as KeycloakAdapter, appPublicKey: PUBLIC_PEM }));
  });

  it('an adapter still prints what identifies it', () => {
    const adapter = new KeycloakAdapter({ tokenUrl: server.url('/realms/r/protocol/openid-connect/token?x=1'), clientId: 'finance-agent', clientSecret: SECRET });
    expect(inspect(adapter)).toContain('finance-agent');
    expect(JSON.parse(JSON.stringify(adapter))).toMatchObject({ adapter_type: 'KeycloakAdapter', client_id: 'finance-agent' });
  });
});

describe('configs never print their client secret', () => {
  const env = {
    keycloak: { KEYCLOAK_TOKEN_URL: 'https://kc.example.com/realms/r/protocol/openid-connect/token', AGENT_CLIENT_ID: 'a', AGENT_CLIENT_SECRET: SECRET },
    auth0: { AUTH0_TOKEN_URL: 'https://t.auth0.com/oauth/token', AGENT_CLIENT_ID: 'a', AGENT_CLIENT_SECRET: SECRET, API_AUDIENCE: 'https://api' },
    okta: { OKTA_TOKEN_URL: 'https://o.okta.com/oauth2/aus1/v1/token', AGENT_CLIENT_ID: 'a', AGENT_CLIENT_SECRET: SECRET, API_AUDIENCE: 'api://default' },
    entraid: {
      ENTRAID_TOKEN_URL: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
      AGENT_CLIENT_ID: 'a',
      AGENT_CLIENT_SECRET: SECRET,
      API_SCOPE: 'https://api/.default',
      API_AUDIENCE: 'https://api',
      APP_PRIVATE_KEY_PATH: privateKeyPath,
      APP_ID: 'app',
    },
  };
  it.each(Object.entries(env))('%s: by any route, spread copies included; the secret stays readable', async (vendor, variables) => {
    const config = await getConfig({ vendor, env: variables });
    expectNoSecret(config);
    expect(config.clientSecret).toBe(SECRET);
    expect(inspect(config)).toContain('***REDACTED***');
  });

  it('a spread config still builds a working adapter (the secret travels, hidden)', async () => {
    const config = await getConfig({ vendor: 'entraid', env: { ...env.entraid, ENTRAID_TOKEN_URL: server.url('/t/oauth2/v2.0/token') } });
    const adapter = createAdapter({ ...config, appId: 'other-app' }, { ca: server.caCert });
    await adapter.requestToken({ agentId: 'a', act: { sub: 'u-1' }, scope: ['x'] });
    expect(Object.fromEntries(formFields(server.requests.at(-1)!.body)).client_secret).toBe(SECRET);
    // An explicit secret in the copy wins over the hidden one.
    const other = `other-${SECRET}`;
    markSensitive(other);
    await createAdapter({ ...config, clientSecret: other }, { ca: server.caCert }).requestToken({ agentId: 'a', act: { sub: 'u-1' }, scope: ['x'] });
    expect(Object.fromEntries(formFields(server.requests.at(-1)!.body)).client_secret).toBe(other);
  });
});

describe('other public objects', () => {
  it('the environment secrets backend', () => {
    expectNoSecret(new EnvironmentSecretsBackend({ AGENT_CLIENT_SECRET: SECRET }));
  });

  it('HybridSender with a PEM private key', () => {
    expectNoSecret(new HybridSender({ privateKeyPem: PRIVATE_PEM }));
  });

  it('TokenResponse, spread copies included; the fields stay readable', () => {
    const accessToken = `at-${SECRET}`;
    const actAssertion = `aa-${SECRET}`;
    const token = new TokenResponse({ accessToken, tokenType: 'Bearer', expiresIn: 60, scope: 's', actAssertion });
    expectNoSecret(token, accessToken, actAssertion);
    expect([token.accessToken, token.actAssertion]).toEqual([accessToken, actAssertion]);
  });
});
