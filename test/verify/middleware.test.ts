/**
 * dual-auth/express and dual-auth/fastify on real HTTPS servers on 127.0.0.1,
 * called with a client that trusts the test CA: 200 / 401 / 403 / 503 with the
 * RFC 6750 challenge and JSON body; identities on the request; logs carry ids only.
 */
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dualAuth } from '../../src/express.js';
import { dualAuthPlugin } from '../../src/fastify.js';
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

interface Served {
  url: string;
  close(): Promise<void>;
}

async function serveExpress(options: Parameters<typeof dualAuth>[0]): Promise<Served> {
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

async function serveFastify(options: Parameters<typeof dualAuthPlugin>[1]): Promise<Served> {
  const fastify: FastifyInstance = Fastify({ https: { key: jwks.certs.key, cert: jwks.certs.cert } });
  fastify.get('/public', async () => ({ ok: true }));
  await fastify.register(async (scope) => {
    await scope.register(dualAuthPlugin, options);
    scope.get('/finance/report', async (request) => ({ agent: request.dualAuth?.agent.id, human: request.dualAuth?.human.id }));
  });
  const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
  return { url: address, close: () => fastify.close() };
}

for (const [framework, serve] of [
  ['express', serveExpress],
  ['fastify', serveFastify],
] as const) {
  describe(`${framework}`, () => {
    let served: Served;
    const log = captureLogger();
    beforeAll(async () => {
      served = await serve({ ...baseOptions({ requiredScopes: ['finance.read'], authorize: (_agent, human) => human.id !== 'blocked-user' }), logger: log.logger, realm: 'finance' });
    });
    afterAll(async () => served?.close());

    const get = (path: string, headers: Record<string, string> = {}) => client.fetch(`${served.url}${path}`, { headers });

    it('200 with the identities on the request; logs agent id and human id only', async () => {
      const token = await keycloakToken();
      const res = await get('/finance/report', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ agent: 'finance-agent', human: 'user-42' });
      const record = log.records.find((r) => r.event === 'dual_auth_verified');
      expect(record).toMatchObject({ agentId: 'finance-agent', humanId: 'user-42' });
      expect(JSON.stringify(log.records)).not.toMatch(/alice|Alice|eyJ/);
    });

    it('unguarded routes stay open', async () => {
      expect((await get('/public')).status).toBe(200);
    });

    it('401 without a token: challenge without an error code (RFC 6750 §3.1)', async () => {
      const res = await get('/finance/report');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="finance"');
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Access token is missing' });
    });

    it('401 for a non-Bearer scheme', async () => {
      const res = await get('/finance/report', { authorization: 'Basic dXNlcjpwYXNz' });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="finance"');
    });

    it('401 invalid_token for a malformed, expired or act-less token', async () => {
      for (const [token, description] of [
        ['not-a-jwt', 'Access token is malformed'],
        [await keycloakToken({ iat: now() - 900, exp: now() - 600 }), 'Access token has expired'],
        [await keycloakToken({ act: undefined }), 'Access token has no act claim'],
        [await keycloakToken({ aud: 'https://other' }), 'Access token audience is not accepted'],
      ]) {
        const res = await get('/finance/report', { authorization: `Bearer ${token}` });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="finance", error="invalid_token", error_description="${description}"`);
        expect(await res.json()).toEqual({ error: 'invalid_token', error_description: description });
      }
      expect(JSON.stringify(log.records)).not.toMatch(/eyJ/);
    });

    it('401 invalid_token for a valid token with whitespace inside it (RFC 6750 b64token)', async () => {
      const token = await keycloakToken();
      const at = token.lastIndexOf('.') + 10;
      for (const inner of [' ', '\t', '  ']) {
        const res = await get('/finance/report', { authorization: `Bearer ${token.slice(0, at)}${inner}${token.slice(at)}` });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Access token is malformed' });
      }
    });

    it('403 insufficient_scope for a valid token without the scope, or refused by authorize', async () => {
      for (const token of [await keycloakToken({ scope: 'profile' }), await keycloakToken({ act: { sub: 'blocked-user' } })]) {
        const res = await get('/finance/report', { authorization: `Bearer ${token}` });
        expect(res.status).toBe(403);
        const challenge = res.headers.get('www-authenticate') ?? '';
        expect(challenge).toMatch(/^Bearer realm="finance", error="insufficient_scope", error_description="[^"]+", scope="finance.read"$/);
        expect(await res.json()).toMatchObject({ error: 'insufficient_scope' });
      }
    });
  });
}

describe('503 when the IAM keys are unreachable', () => {
  it('express and fastify answer 503 without a challenge', async () => {
    const down = await startJwksServer([key.publicJwk], jwks.certs);
    down.failWith(503);
    const options = baseOptions({ jwksUri: down.jwksUri });
    const servers = [await serveExpress(options), await serveFastify(options)];
    try {
      const token = await keycloakToken();
      for (const served of servers) {
        const res = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(503);
        expect(res.headers.get('www-authenticate')).toBeNull();
        expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      await down.close();
    }
  });
});

describe('EntraID through the middleware: X-Act-Assertion', () => {
  it('express and fastify read the header, bound to the token', async () => {
    const t = now();
    const token = await sign({ iss: issuer, aud: AUDIENCE, appid: 'agent-app', roles: ['Finance.Read'], iat: t, exp: t + 3600 }, key);
    const otherToken = await sign({ iss: issuer, aud: AUDIENCE, appid: 'other-agent', roles: [], iat: t, exp: t + 3600 }, key);
    const assertion = await new SignJWT({ iss: 'app', sub: 'app', aud: AUDIENCE, iat: t, exp: t + 300, jti: randomUUID(), act: { sub: 'oid-7' }, ath: computeAth(token) })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(app.privateKey);
    const options = baseOptions({ vendor: 'entraid', actAssertionKey: app.publicKeyPem, bindAgentToken: true });
    const servers = [await serveExpress(options), await serveFastify(options)];
    try {
      for (const served of servers) {
        const ok = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}`, 'x-act-assertion': assertion } });
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ agent: 'agent-app', human: 'oid-7' });
        const missing = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}` } });
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toMatch(/error="invalid_token", error_description="X-Act-Assertion is missing"/);
        const replayed = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${otherToken}`, 'x-act-assertion': assertion } });
        expect(replayed.status).toBe(401);
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});

describe("the 'assertion' layout through the middleware (any vendor): X-Act-Assertion read", () => {
  it('express and fastify pass the header to an okta verifier in the assertion layout', async () => {
    const sender = new HybridSender({ privateKey: app.privateKey });
    const t = now();
    const token = await sign({ iss: issuer, aud: AUDIENCE, sub: 'finance-agent', cid: 'finance-agent', scp: ['finance.read'], iat: t, exp: t + 600 }, key);
    const assertion = await sender.prepareActAssertion({ act: { sub: 'user-9' }, agentId: 'finance-agent', apiAudience: AUDIENCE });
    const options = baseOptions({ vendor: 'okta', layout: 'assertion', actAssertionKey: await sender.publicJwks() });
    const servers = [await serveExpress(options), await serveFastify(options)];
    try {
      for (const served of servers) {
        const ok = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}`, 'x-act-assertion': assertion } });
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({ agent: 'finance-agent', human: 'user-9' });
        const missing = await client.fetch(`${served.url}/finance/report`, { headers: { authorization: `Bearer ${token}` } });
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toMatch(/error_description="X-Act-Assertion is missing"/);
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});
