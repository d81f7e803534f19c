/**
 * dual-auth/express, dual-auth/fastify and dual-auth/hono (on Node through
 * @hono/node-server) on real HTTPS servers on 127.0.0.1, called with a client that
 * trusts the test CA: 200 / 401 / 403 / 503 with the RFC 6750 challenge and JSON body;
 * identities on the request; logs carry ids only. One table of cases (CASES) runs
 * against every framework of FRAMEWORKS: the three answer alike.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dualAuth, type DualAuthMiddlewareOptions } from '../../src/express.js';
import { dualAuthPlugin, type DualAuthPluginOptions } from '../../src/fastify.js';
import { dualAuth as dualAuthHono, type DualAuthEnv, type DualAuthHonoOptions } from '../../src/hono.js';
import { computeAth, type VerifyOptions } from '../../src/verify/index.js';
import { HybridSender } from '../../src/session/hybrid-sender.js';
import { captureLogger, closeServer, httpsClient, listen, makeSigningKey, now, sign, startJwksServer, type JwksServer, type SigningKey } from './helpers.js';

const AUDIENCE = 'https://api.example.test';
let jwks: JwksServer;
let key: SigningKey;
let issuer: string;
let client: ReturnType<typeof httpsClient>;
let app: { privateKey: KeyObject; publicKeyPem: string };

beforeAll(async () => {
  key = await makeSigningKey('ES256');
  jwks = await startJwksServer([key.publicJwk]);
  issuer = `${jwks.origin}/realms/test`;
  client = httpsClient(jwks.caCert);
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  app = { privateKey: pair.privateKey, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string };
});
afterAll(async () => {
  await client?.close();
  await jwks?.close();
});

function keycloakToken(extra: JWTPayload = {}): Promise<string> {
  const t = now();
  return sign({ iss: issuer, aud: AUDIENCE, sub: 'sa-1', azp: 'finance-agent', realm_access: { roles: ['finance-reader'] }, scope: 'finance.read', iat: t, exp: t + 300, act: { sub: 'user-42', email: 'alice@example.test', name: 'Alice' }, ...extra }, key);
}

function baseOptions(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { vendor: 'keycloak', issuer, audience: AUDIENCE, jwksUri: jwks.jwksUri, ca: jwks.caCert, ...extra };
}

// ---------------------------------------------------------------------------------------------
// The frameworks: each serves GET /public (open) and GET /finance/report (guarded, answers the identities)
// ---------------------------------------------------------------------------------------------

interface Served {
  url: string;
  close(): Promise<void>;
}

/** The options every middleware takes (each adds its own; these are the shared ones). */
type MiddlewareOptions = DualAuthMiddlewareOptions & DualAuthPluginOptions & DualAuthHonoOptions;

async function serveExpress(options: MiddlewareOptions): Promise<Served> {
  const application = express();
  application.get('/public', (_req, res) => {
    res.json({ ok: true });
  });
  application.use('/finance', dualAuth(options));
  application.get('/finance/report', (req, res) => {
    res.json({ agent: req.dualAuth?.agent.id, human: req.dualAuth?.human.id });
  });
  const server: Server = createHttpsServer({ key: jwks.certs.key, cert: jwks.certs.cert }, application);
  await listen(server);
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

async function serveFastify(options: MiddlewareOptions): Promise<Served> {
  const fastify: FastifyInstance = Fastify({ https: { key: jwks.certs.key, cert: jwks.certs.cert } });
  fastify.get('/public', async () => ({ ok: true }));
  await fastify.register(async (scope) => {
    await scope.register(dualAuthPlugin, options);
    scope.get('/finance/report', async (request) => ({ agent: request.dualAuth?.agent.id, human: request.dualAuth?.human.id }));
  });
  const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
  return { url: address, close: () => fastify.close() };
}

async function serveHono(options: MiddlewareOptions): Promise<Served> {
  const application = new Hono<DualAuthEnv>();
  application.get('/public', (c) => c.json({ ok: true }));
  application.use('/finance/*', dualAuthHono(options));
  application.get('/finance/report', (c) => c.json({ agent: c.get('dualAuth').agent.id, human: c.get('dualAuth').human.id }));
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve(
      { fetch: application.fetch, port: 0, hostname: '127.0.0.1', createServer: createHttpsServer, serverOptions: { key: jwks.certs.key, cert: jwks.certs.cert } },
      () => resolve(started as Server),
    );
    started.once('error', reject);
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

const FRAMEWORKS = [
  ['express', serveExpress],
  ['fastify', serveFastify],
  ['hono', serveHono],
] as const;

/** Serves `options` on every framework; runs `check` on each; closes them all. */
async function onEveryFramework(options: MiddlewareOptions, check: (served: Served, framework: string) => Promise<void>): Promise<void> {
  const servers = await Promise.all(FRAMEWORKS.map(async ([framework, serveWith]) => ({ framework, served: await serveWith(options) })));
  try {
    for (const { framework, served } of servers) await check(served, framework);
  } finally {
    await Promise.all(servers.map(({ served }) => served.close()));
  }
}

// ---------------------------------------------------------------------------------------------
// The shared rejection table: every framework answers each case the same way
// ---------------------------------------------------------------------------------------------

interface RejectionCase {
  name: string;
  /** The request's headers; tokens are signed per run. */
  headers(): Promise<Record<string, string>>;
  status: number;
  /** The exact WWW-Authenticate, or a pattern. */
  challenge: string | RegExp;
  body: Record<string, string>;
}

const bearer = async (token: Promise<string> | string): Promise<Record<string, string>> => ({ authorization: `Bearer ${await token}` });
const invalid = (description: string): Pick<RejectionCase, 'status' | 'challenge' | 'body'> => ({
  status: 401,
  challenge: `Bearer realm="finance", error="invalid_token", error_description="${description}"`,
  body: { error: 'invalid_token', error_description: description },
});
/** A valid token with whitespace inside it (RFC 6750 b64token): lenient base64 decoders would skip it. */
async function withWhitespace(inner: string): Promise<Record<string, string>> {
  const token = await keycloakToken();
  const at = token.lastIndexOf('.') + 10;
  return bearer(`${token.slice(0, at)}${inner}${token.slice(at)}`);
}
const insufficientScope = /^Bearer realm="finance", error="insufficient_scope", error_description="[^"]+", scope="finance.read"$/;

const CASES: RejectionCase[] = [
  {
    name: 'no token: challenge without an error code (RFC 6750 §3.1)',
    headers: async () => ({}),
    status: 401,
    challenge: 'Bearer realm="finance"',
    body: { error: 'invalid_token', error_description: 'Access token is missing' },
  },
  {
    name: 'a non-Bearer scheme',
    headers: async () => ({ authorization: 'Basic dXNlcjpwYXNz' }),
    status: 401,
    challenge: 'Bearer realm="finance"',
    body: { error: 'invalid_token', error_description: 'Access token is missing' },
  },
  { name: 'a malformed token', headers: () => bearer('not-a-jwt'), ...invalid('Access token is malformed') },
  { name: 'an expired token', headers: () => bearer(keycloakToken({ iat: now() - 900, exp: now() - 600 })), ...invalid('Access token has expired') },
  { name: "the agent's own token (no act)", headers: () => bearer(keycloakToken({ act: undefined })), ...invalid('Access token has no act claim') },
  { name: 'another audience', headers: () => bearer(keycloakToken({ aud: 'https://other' })), ...invalid('Access token audience is not accepted') },
  ...[' ', '\t', '  '].map((inner) => ({
    name: `a valid token with ${JSON.stringify(inner)} inside it`,
    headers: () => withWhitespace(inner),
    ...invalid('Access token is malformed'),
  })),
  {
    name: 'a valid token without the required scope',
    headers: () => bearer(keycloakToken({ scope: 'profile' })),
    status: 403,
    challenge: insufficientScope,
    body: { error: 'insufficient_scope', error_description: 'Token lacks a required scope' },
  },
  {
    name: 'a valid token refused by authorize',
    headers: () => bearer(keycloakToken({ act: { sub: 'blocked-user' } })),
    status: 403,
    challenge: insufficientScope,
    body: { error: 'insufficient_scope', error_description: 'Agent may not act for this user here' },
  },
];

for (const [framework, serveWith] of FRAMEWORKS) {
  describe(`${framework}`, () => {
    let served: Served;
    const log = captureLogger();
    beforeAll(async () => {
      served = await serveWith({ ...baseOptions({ requiredScopes: ['finance.read'], authorize: (_agent, human) => human.id !== 'blocked-user' }), logger: log.logger, realm: 'finance' });
    });
    afterAll(async () => served?.close());

    const get = (path: string, headers: Record<string, string> = {}) => client.fetch(`${served.url}${path}`, { headers });

    it('200 with the identities on the request; logs agent id and human id only', async () => {
      const res = await get('/finance/report', await bearer(keycloakToken()));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ agent: 'finance-agent', human: 'user-42' });
      const record = log.records.find((r) => r.event === 'dual_auth_verified');
      expect(record).toMatchObject({ agentId: 'finance-agent', humanId: 'user-42' });
      expect(JSON.stringify(log.records)).not.toMatch(/alice|Alice|eyJ/);
    });

    it('unguarded routes stay open', async () => {
      expect((await get('/public')).status).toBe(200);
    });

    for (const rejection of CASES) {
      it(`${rejection.status} for ${rejection.name}`, async () => {
        const res = await get('/finance/report', await rejection.headers());
        expect(res.status).toBe(rejection.status);
        const challenge = res.headers.get('www-authenticate') ?? '';
        if (typeof rejection.challenge === 'string') expect(challenge).toBe(rejection.challenge);
        else expect(challenge).toMatch(rejection.challenge);
        expect(await res.json()).toEqual(rejection.body);
        expect(log.records.at(-1)).toMatchObject({ event: 'dual_auth_rejected', status: rejection.status });
        expect(JSON.stringify(log.records)).not.toMatch(/eyJ/);
      });
    }
  });
}

describe('503 when the IAM keys are unreachable', () => {
  it('every framework answers 503 without a challenge', async () => {
    const down = await startJwksServer([key.publicJwk], jwks.certs);
    down.failWith(503);
    try {
      const token = await keycloakToken();
      await onEveryFramework(baseOptions({ jwksUri: down.jwksUri }), async (served, framework) => {
        const res = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, framework).toBe(503);
        expect(res.headers.get('www-authenticate')).toBeNull();
        expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
      });
    } finally {
      await down.close();
    }
  });
});

describe('EntraID through the middleware: X-Act-Assertion', () => {
  it('every framework reads the header, bound to the token', async () => {
    const t = now();
    const token = await sign({ iss: issuer, aud: AUDIENCE, appid: 'agent-app', roles: ['Finance.Read'], iat: t, exp: t + 3600 }, key);
    const otherToken = await sign({ iss: issuer, aud: AUDIENCE, appid: 'other-agent', roles: [], iat: t, exp: t + 3600 }, key);
    const assertion = await new SignJWT({ iss: 'app', sub: 'app', aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID(), act: { sub: 'oid-7' }, ath: computeAth(token) })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(app.privateKey);
    await onEveryFramework(baseOptions({ vendor: 'entraid', actAssertionKey: app.publicKeyPem, bindAgentToken: true }), async (served, framework) => {
      const ok = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}`, 'x-act-assertion': assertion } });
      expect(ok.status, framework).toBe(200);
      expect(await ok.json()).toEqual({ agent: 'agent-app', human: 'oid-7' });
      const missing = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}` } });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="X-Act-Assertion is missing"/);
      const replayed = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${otherToken}`, 'x-act-assertion': assertion } });
      expect(replayed.status).toBe(401);
    });
  });
});

describe("the 'assertion' layout through the middleware (any vendor): X-Act-Assertion read", () => {
  it('every framework passes the header to an okta verifier in the assertion layout', async () => {
    const sender = new HybridSender({ privateKey: app.privateKey });
    const t = now();
    const token = await sign({ iss: issuer, aud: AUDIENCE, sub: 'finance-agent', cid: 'finance-agent', scp: ['finance.read'], iat: t, exp: t + 600 }, key);
    const assertion = await sender.prepareActAssertion({ act: { sub: 'user-9' }, agentId: 'finance-agent', apiAudience: AUDIENCE });
    await onEveryFramework(baseOptions({ vendor: 'okta', layout: 'assertion', actAssertionKey: await sender.publicJwks() }), async (served, framework) => {
      const ok = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}`, 'x-act-assertion': assertion } });
      expect(ok.status, framework).toBe(200);
      expect(await ok.json()).toEqual({ agent: 'finance-agent', human: 'user-9' });
      const missing = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}` } });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/error_description="X-Act-Assertion is missing"/);
    });
  });
});

describe('dual-auth/hono: the Context reaches authorize', () => {
  it("authorize receives Hono's Context (route parameters, the raw Request)", async () => {
    const seen: string[] = [];
    const application = new Hono<DualAuthEnv>();
    application.use(
      '/accounts/:account/*',
      dualAuthHono({
        ...baseOptions(),
        authorize: (_agent, human, c) => {
          const context = c as { req: { param(name: string): string; raw: Request } };
          seen.push(`${context.req.param('account')} ${context.req.raw.method}`);
          return context.req.param('account') === `acct-${human.id}`;
        },
      }),
    );
    application.get('/accounts/:account/balance', (c) => c.json({ human: c.get('dualAuth').human.id }));
    const token = await keycloakToken();
    const allowed = await application.request('/accounts/acct-user-42/balance', { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ human: 'user-42' });
    const other = await application.request('/accounts/acct-someone/balance', { headers: { authorization: `Bearer ${token}` } });
    expect(other.status).toBe(403);
    expect(seen).toEqual(['acct-user-42 GET', 'acct-someone GET']);
  });
});

describe('dual-auth/express: a failure inside the middleware (issue 16)', () => {
  it("reaches the app's error handler as a 500; the process sees no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const application = express();
    // A logger that throws: the guard's own log call fails after the token was verified.
    const throwing = { info: () => { throw new Error('logger broke'); } };
    application.use('/finance', dualAuth({ ...baseOptions(), logger: throwing }));
    application.get('/finance/report', (_req, res) => {
      res.json({ reached: 'route' });
    });
    application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ handled: error.message });
    });
    const server: Server = createHttpsServer({ key: jwks.certs.key, cert: jwks.certs.cert }, application);
    await listen(server);
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/finance/report`;
      // Without the hand-over to next(), the request would hang: the signal turns that into a failure.
      const res = await client.fetch(url, { headers: { authorization: `Bearer ${await keycloakToken()}` }, signal: AbortSignal.timeout(5_000) } as never);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ handled: 'logger broke' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await closeServer(server);
    }
  });
});

describe('dual-auth/fastify: request.dualAuth before verification (issue 16)', () => {
  it("is null (a decorated request) until the 'preHandler' hook has verified the token, then the identities", async () => {
    const fastify: FastifyInstance = Fastify({ https: { key: jwks.certs.key, cert: jwks.certs.cert } });
    const seenOnRequest: unknown[] = [];
    await fastify.register(async (scope) => {
      await scope.register(dualAuthPlugin, { ...baseOptions(), hook: 'preHandler' });
      scope.addHook('onRequest', async (request) => {
        seenOnRequest.push(request.dualAuth);
      });
      scope.get('/finance/report', async (request) => ({ agent: request.dualAuth?.agent.id, human: request.dualAuth?.human.id }));
    });
    const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await client.fetch(`${address}/finance/report`, { headers: await bearer(keycloakToken()) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ agent: 'finance-agent', human: 'user-42' });
      expect(seenOnRequest).toEqual([null]);
    } finally {
      await fastify.close();
    }
  });
});
