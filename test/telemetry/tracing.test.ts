/**
 * OpenTelemetry spans, with the OTel SDK's in-memory exporter (a real tracer provider and
 * the AsyncLocalStorage context manager registered through @opentelemetry/api): the token
 * request (vendor, delegation, grant type, HTTP status, retries), the secrets fetch (backend,
 * secret name), the act JWT check and the access-token check (vendor, layout, outcome code).
 * In the log-audit style: every finished span (names, attributes, status, events) is
 * serialised and must hold no token, assertion, secret value, email, name, nor the person's
 * IAM id in clear (only its pseudonym). And with no provider registered, the OTel API is
 * never even loaded.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { context, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createAdapter,
  createDualSubjectVerifier,
  getConfig,
  HybridSender,
  InSessionTokenRequest,
  KeycloakAdapter,
  OutOfSessionTokenRequest,
  type SecretsBackend,
} from '../../src/index.js';
import { startLocalIam, type LocalIam } from '../../src/local-iam/index.js';
import { configureTracing, pseudonymousPersonId } from '../../src/telemetry/index.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';
import { auditLogger, markSensitive, rejection } from '../helpers/log-audit.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let iam: LocalIam;
let entra: LocalIam;
/** Every value that must never reach a span. */
const secrets: string[] = [];

function sensitive(...values: Array<string | undefined>): void {
  for (const value of values) if (value) secrets.push(value);
  markSensitive(...values);
}

beforeAll(async () => {
  [iam, entra] = await Promise.all([startLocalIam({ vendor: 'keycloak' }), startLocalIam({ vendor: 'entraid' })]);
  for (const i of [iam, entra]) sensitive(i.agent.clientSecret, i.testUser.email, i.testUser.name);
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  // Every span of the file, serialised, through the log audit as well (the afterAll audit of log-audit.ts).
  auditLogger().info({ spans: exporter.getFinishedSpans().map(serialise) });
  trace.disable();
  context.disable();
  await provider.shutdown();
  await Promise.all([iam?.close(), entra?.close()]);
});
beforeEach(() => exporter.reset());

function serialise(span: ReadableSpan): Record<string, unknown> {
  return { name: span.name, attributes: span.attributes, status: span.status, events: span.events, parent: span.parentSpanContext?.spanId };
}

function spans(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

/** The no-PII check: no span of the test holds a sensitive value or the person's id in clear. */
function expectNoPersonalData(personIds: string[] = [iam.testUser.id]): void {
  const text = JSON.stringify(exporter.getFinishedSpans().map(serialise));
  for (const value of [...secrets, ...personIds]) expect(text, 'a span holds a sensitive value').not.toContain(value);
  expect(text).not.toMatch(/eyJ[\w-]{10,}/); // no JWT of any kind
}

const keycloakVerifier = () => createDualSubjectVerifier({ vendor: 'keycloak', issuer: iam.issuer, audience: iam.apiAudience, jwksUri: iam.jwksUri, ca: iam.caCert });

describe('token request span', () => {
  it('vendor, delegation, grant type, status, retries, the agent and the pseudonymised person', async () => {
    const config = await getConfig({ env: iam.env });
    const handler = new InSessionTokenRequest(createAdapter(config, { ca: iam.caCert }));
    const token = await handler.requestToken({ agentId: config.clientId, act: { sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name }, scope: ['finance.read'] });
    sensitive(token.accessToken);
    const [span] = spans('dual_auth.token_request');
    expect(span?.attributes).toEqual({
      'dual_auth.vendor': 'keycloak',
      'dual_auth.delegation': 'act',
      'dual_auth.grant_type': 'client_credentials',
      'dual_auth.agent.id': config.clientId,
      'dual_auth.person.id': pseudonymousPersonId(iam.testUser.id),
      'http.response.status_code': 200,
      'http.request.resend_count': 0,
      'dual_auth.outcome': 'ok',
    } satisfies Attributes);
    expect(pseudonymousPersonId(iam.testUser.id)).toMatch(/^sha256:[0-9a-f]{16}$/);
    expectNoPersonalData();
  });

  it('token exchange: the grant type of RFC 8693; the subject token never in the span', async () => {
    const config = await getConfig({ env: iam.env, delegation: 'token-exchange' });
    const subjectToken = await iam.issueLoginToken();
    sensitive(subjectToken);
    const token = await createAdapter(config, { ca: iam.caCert, delegation: 'token-exchange' }).requestToken({ agentId: config.clientId, scope: ['finance.read'], subjectToken });
    sensitive(token.accessToken);
    expect(spans('dual_auth.token_request')[0]?.attributes).toMatchObject({
      'dual_auth.delegation': 'token-exchange',
      'dual_auth.grant_type': 'urn:ietf:params:oauth:grant-type:token-exchange',
      'http.response.status_code': 200,
      'dual_auth.outcome': 'ok',
    });
    expectNoPersonalData();
  });

  it('Entra ID: the act assertion the adapter signs never reaches the span', async () => {
    const config = await getConfig({ env: entra.env });
    const token = await createAdapter(config, { ca: entra.caCert }).requestToken({ agentId: config.clientId, act: { sub: entra.testUser.id, email: entra.testUser.email }, scope: ['finance.read'] });
    sensitive(token.accessToken, token.actAssertion);
    expect(spans('dual_auth.token_request')[0]?.attributes).toMatchObject({ 'dual_auth.vendor': 'entraid', 'dual_auth.outcome': 'ok' });
    expectNoPersonalData([entra.testUser.id]);
  });

  describe('against a token endpoint that fails first', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(async () => server?.close());

    it('retries and a refusal: resend count, the final status, the error code as outcome', async () => {
      let calls = 0;
      server.handle((_request, response) => {
        calls += 1;
        if (calls === 1) json(response, 503, { error: 'temporarily_unavailable' });
        else if (calls === 2) json(response, 200, { access_token: 'opaque-access-token-for-the-test', token_type: 'Bearer', expires_in: 300 });
        else json(response, 401, { error: 'invalid_client' });
      });
      sensitive('opaque-access-token-for-the-test', 'endpoint-client-secret-0123456789');
      const adapter = new KeycloakAdapter(
        { vendor: 'keycloak', tokenUrl: server.url('/realms/r/protocol/openid-connect/token'), clientId: 'agent-1', clientSecret: 'endpoint-client-secret-0123456789' },
        { ca: server.caCert, backoffMs: 1 },
      );
      await adapter.requestToken({ agentId: 'agent-1', act: { sub: 'person-7' }, scope: ['finance.read'] });
      const refused = await rejection(adapter.requestToken({ agentId: 'agent-1', act: { sub: 'person-7' }, scope: ['finance.read'] }));
      const [ok, failed] = spans('dual_auth.token_request');
      expect(ok?.attributes).toMatchObject({ 'http.response.status_code': 200, 'http.request.resend_count': 1, 'dual_auth.outcome': 'ok' });
      expect(failed?.attributes).toMatchObject({ 'http.response.status_code': 401, 'dual_auth.outcome': refused.code, 'error.type': refused.code });
      expect(failed?.status).toEqual({ code: 2, message: refused.code });
      expectNoPersonalData(['person-7']);
    });
  });
});

describe('access-token verification span', () => {
  it('vendor, layout, the agent and the pseudonymised person; a refusal carries its code only', async () => {
    const config = await getConfig({ env: iam.env });
    const token = await createAdapter(config, { ca: iam.caCert }).requestToken({ agentId: config.clientId, act: { sub: iam.testUser.id, email: iam.testUser.email }, scope: ['finance.read'] });
    sensitive(token.accessToken);
    const verify = keycloakVerifier();
    await verify(token.accessToken);
    await rejection(verify(`${token.accessToken.slice(0, -4)}AAAA`));
    await rejection(verify(undefined));
    const [ok, badSignature, missing] = spans('dual_auth.token.verify');
    expect(ok?.attributes).toEqual({
      'dual_auth.vendor': 'keycloak',
      'dual_auth.agent.id': config.clientId,
      'dual_auth.person.id': pseudonymousPersonId(iam.testUser.id),
      'dual_auth.layout': 'act',
      'dual_auth.outcome': 'ok',
    });
    expect(badSignature?.attributes).toEqual({ 'dual_auth.vendor': 'keycloak', 'dual_auth.outcome': 'ERR_TOKEN_INVALID', 'error.type': 'ERR_TOKEN_INVALID' });
    expect(missing?.attributes['dual_auth.outcome']).toBe('ERR_TOKEN_MISSING');
    expectNoPersonalData();
  });

  it('spans nest: a verification inside an application span is its child', async () => {
    const config = await getConfig({ env: iam.env });
    const token = await createAdapter(config, { ca: iam.caCert }).requestToken({ agentId: config.clientId, act: { sub: iam.testUser.id }, scope: ['finance.read'] });
    sensitive(token.accessToken);
    const verify = keycloakVerifier();
    await trace.getTracer('app').startActiveSpan('GET /finance/report', async (parent) => {
      await verify(token.accessToken);
      parent.end();
    });
    const parent = spans('GET /finance/report')[0];
    expect(spans('dual_auth.token.verify')[0]?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
  });
});

describe('the person id under an HMAC key (configureTracing personIdKey)', () => {
  const keyA = 'telemetry-key-a-0123456789abcdef0123456789';
  const keyB = new Uint8Array(32).fill(7);
  afterAll(() => configureTracing({ personIdKey: null }));

  it('is HMAC-SHA256(key, IAM id) in the span; two keys give two pseudonyms; null goes back to the plain hash', async () => {
    const config = await getConfig({ env: iam.env });
    const token = await createAdapter(config, { ca: iam.caCert }).requestToken({ agentId: config.clientId, act: { sub: iam.testUser.id }, scope: ['finance.read'] });
    sensitive(token.accessToken);
    const verify = keycloakVerifier();
    const hmac = (key: string | Uint8Array) => `hmac-sha256:${createHmac('sha256', key).update(iam.testUser.id).digest('hex').slice(0, 16)}`;
    sensitive(keyA);

    configureTracing({ personIdKey: keyA });
    await verify(token.accessToken);
    configureTracing({ personIdKey: keyB });
    await verify(token.accessToken);
    configureTracing({});
    await verify(token.accessToken); // an options object without the key keeps the key
    configureTracing({ personIdKey: null });
    await verify(token.accessToken);

    const ids = spans('dual_auth.token.verify').map((span) => span.attributes['dual_auth.person.id']);
    expect(ids).toEqual([hmac(keyA), hmac(keyB), hmac(keyB), `sha256:${createHash('sha256').update(iam.testUser.id).digest('hex').slice(0, 16)}`]);
    expect(hmac(keyA)).not.toBe(hmac(keyB));
    // An operator finds a person's spans with the same key.
    expect(pseudonymousPersonId(iam.testUser.id, keyA)).toBe(hmac(keyA));
    expect(pseudonymousPersonId(iam.testUser.id, Buffer.from(keyB))).toBe(hmac(keyB));
    expectNoPersonalData();
  });

  it('refuses a key shorter than 32 bytes or of another type, and options that are not an object', () => {
    for (const personIdKey of ['x'.repeat(31), new Uint8Array(31), 42, {}, ['k'.repeat(32)]]) {
      expect(() => configureTracing({ personIdKey } as never), String(personIdKey)).toThrow(expect.objectContaining({ name: 'ConfigurationError', code: 'ERR_CONFIGURATION' }));
    }
    expect(() => pseudonymousPersonId('user_1', 'short')).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION', message: '"key" must be a string or a Uint8Array of at least 32 bytes' }));
    expect(() => configureTracing(undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIGURATION' }));
    // Named but undefined: an unset environment variable must not leave the unkeyed pseudonym in place silently.
    expect(() => configureTracing({ personIdKey: process.env.DUAL_AUTH_TEST_UNSET_KEY as string })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION', message: 'personIdKey is undefined (pass a key, or null to remove one)' }),
    );
    expect(pseudonymousPersonId('user_1')).toMatch(/^sha256:[0-9a-f]{16}$/); // a refused key changes nothing
  });

  it('docs/observability.md documents the key, where to keep it and the unkeyed default', () => {
    const doc = readFileSync(resolve(__dirname, '../../docs/observability.md'), 'utf8');
    for (const text of ['configureTracing({ personIdKey', 'hmac-sha256:', 'secrets manager', 'every replica']) expect(doc).toContain(text);
  });
});

describe('act JWT verification span', () => {
  it('the agent id, the pseudonymised person, the outcome; a replay is its code', async () => {
    const sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
    const config = await getConfig({ env: iam.env });
    const receiver = new OutOfSessionTokenRequest({ adapter: createAdapter(config, { ca: iam.caCert }), appPublicKeyPath: iam.app.publicKeyPath });
    const endpoint = 'https://agent.local.test/invoke';
    const actJwt = await sender.prepareOutOfSessionAct({ act: { sub: iam.testUser.id, email: iam.testUser.email, name: iam.testUser.name }, agentEndpoint: endpoint });
    sensitive(actJwt);
    await receiver.receiveAndVerifyActJwt({ actJwt, expectedAudience: endpoint, agentId: config.clientId });
    const replay = await rejection(receiver.receiveAndVerifyActJwt({ actJwt, expectedAudience: endpoint }));
    const [ok, replayed] = spans('dual_auth.act_jwt.verify');
    expect(ok?.attributes).toEqual({ 'dual_auth.agent.id': config.clientId, 'dual_auth.person.id': pseudonymousPersonId(iam.testUser.id), 'dual_auth.outcome': 'ok' });
    expect(replayed?.attributes).toEqual({ 'dual_auth.outcome': replay.code, 'error.type': replay.code });
    expect(replay.code).toBe('ERR_ACT_REPLAY');
    expectNoPersonalData();
  });
});

describe('secrets fetch span', () => {
  it('one span per secret read from an asynchronous backend: backend and name, never the value', async () => {
    const reads: string[] = [];
    // A backend of the application's own (getConfig's `backend` option): an asynchronous source of the same values.
    const backend: SecretsBackend = {
      name: 'app-store',
      async getSecret(key) {
        reads.push(key);
        return iam.env[key];
      },
    };
    const config = await getConfig({ backend, vendor: 'keycloak' });
    expect(String(config.clientSecret) === iam.agent.clientSecret, 'the secret was read').toBe(true);
    const fetched = spans('dual_auth.secrets.fetch');
    expect(fetched.map((span) => span.attributes['dual_auth.secret.name']).sort()).toEqual([...reads].sort());
    expect(fetched.find((span) => span.attributes['dual_auth.secret.name'] === 'AGENT_CLIENT_SECRET')?.attributes).toEqual({
      'dual_auth.secrets.backend': 'app-store',
      'dual_auth.secret.name': 'AGENT_CLIENT_SECRET',
      'dual_auth.secret.found': true,
      'dual_auth.outcome': 'ok',
    });
    expectNoPersonalData();
    const missing = await rejection(getConfig({ backend: { name: 'app-store', getSecret: async () => undefined }, vendor: 'keycloak' }));
    expect(spans('dual_auth.secrets.fetch').some((span) => span.attributes['dual_auth.secret.found'] === false || span.attributes['error.type'] === missing.code)).toBe(true);
  });
});

describe('with no tracer provider registered', () => {
  it('makes no span and never loads @opentelemetry/api', () => {
    const script = `
      import { createRequire } from 'node:module';
      import { generateKeyPairSync } from 'node:crypto';
      import { SignJWT } from 'jose';
      const { createDualSubjectVerifier } = await import(${JSON.stringify(resolve(import.meta.dirname, '../../src/index.ts'))});
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ iss: 'https://iam.test/realms/r', aud: 'https://api.test', azp: 'agent', sub: 'sa', act: { sub: 'p' }, iat: now, exp: now + 60 }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
      const verify = createDualSubjectVerifier({ vendor: 'keycloak', issuer: 'https://iam.test/realms/r', audience: 'https://api.test', key: publicKey });
      const identity = await verify(token);
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@opentelemetry'));
      process.stdout.write(JSON.stringify({ agent: identity.agent.id, loaded, registry: globalThis[Symbol.for('opentelemetry.js.api.1')] ?? null }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })) as { agent: string; loaded: string[]; registry: unknown };
    expect(out).toEqual({ agent: 'agent', loaded: [], registry: null });
  });
});
