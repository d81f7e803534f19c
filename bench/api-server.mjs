// One API under load for bench/api.ts, in its own process: GET /finance guarded by
// a JWT check with the same rules in every variant (signature with the IAM's key
// from its HTTPS JWKS, issuer, audience, an agent in `azp`, a person in `act.sub`),
// answering { agent, person }. Plain HTTP on 127.0.0.1: the API's side of a
// TLS-terminating proxy; the JWKS is fetched over HTTPS (NODE_EXTRA_CA_CERTS trusts
// the bench CA for every variant alike).
//   dual-auth-express   dual-auth/express (the built package)
//   peer-express        express-oauth2-jwt-bearer: auth() + claimCheck()
//   dual-auth-fastify   dual-auth/fastify
//   peer-fastify        @fastify/jwt + get-jwks (its documented remote-JWKS set-up)
//   none-express, none-fastify   the same route with no check at all: the framework's own cost
// Reads {issuer, audience, jwksUri, jwksOrigin} as JSON on stdin, prints {"port": N}.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const variant = process.argv[2];
const dist = (entry) => import(pathToFileURL(resolve(import.meta.dirname, '..', 'dist', `${entry}.js`)).href);

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const { issuer, audience, jwksUri, jwksOrigin } = JSON.parse(input);

/** The person of verified claims, as the dual-auth verifier requires it: act.sub, a non-blank string. */
const personOf = (claims) => {
  const sub = claims?.act?.sub;
  return typeof sub === 'string' && sub.trim().length > 0 ? sub : undefined;
};
const agentOf = (claims) => (typeof claims?.azp === 'string' && claims.azp.length > 0 ? claims.azp : undefined);

async function expressApp() {
  const { default: express } = await import('express');
  const app = express();
  if (variant === 'none-express') {
    app.get('/finance', (_req, res) => res.json({ agent: 'none', person: 'none' }));
  } else if (variant === 'dual-auth-express') {
    const { dualAuth } = await dist('express');
    app.use('/finance', dualAuth({ vendor: 'keycloak', issuer, audience, jwksUri }));
    app.get('/finance', (req, res) => res.json({ agent: req.dualAuth.agent.id, person: req.dualAuth.human.id }));
  } else {
    const { auth, claimCheck } = await import('express-oauth2-jwt-bearer');
    app.use('/finance', auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' }));
    app.use('/finance', claimCheck((claims) => agentOf(claims) !== undefined && personOf(claims) !== undefined));
    app.get('/finance', (req, res) => res.json({ agent: agentOf(req.auth.payload), person: personOf(req.auth.payload) }));
  }
  return new Promise((done) => {
    const server = app.listen(0, '127.0.0.1', () => done(server.address().port));
  });
}

async function fastifyApp() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (variant === 'none-fastify') {
    app.get('/finance', async () => ({ agent: 'none', person: 'none' }));
  } else if (variant === 'dual-auth-fastify') {
    const { dualAuthPlugin } = await dist('fastify');
    await app.register(dualAuthPlugin, { vendor: 'keycloak', issuer, audience, jwksUri });
    app.get('/finance', async (request) => ({ agent: request.dualAuth.agent.id, person: request.dualAuth.human.id }));
  } else {
    const { default: fastifyJwt } = await import('@fastify/jwt');
    const { default: buildGetJwks } = await import('get-jwks');
    const getJwks = buildGetJwks({ jwksPath: new URL(jwksUri).pathname, providerDiscovery: false });
    await app.register(fastifyJwt, {
      decode: { complete: true },
      // get-jwks fetches and caches the key of the token's kid (and refetches an unknown one).
      secret: (_request, token) => getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: jwksOrigin }),
      verify: { allowedIss: issuer, allowedAud: audience, algorithms: ['RS256'] },
    });
    app.addHook('onRequest', async (request, reply) => {
      try {
        await request.jwtVerify();
      } catch {
        return reply.code(401).send({ error: 'invalid_token' });
      }
      if (agentOf(request.user) === undefined || personOf(request.user) === undefined) return reply.code(401).send({ error: 'invalid_token' });
    });
    app.get('/finance', async (request) => ({ agent: agentOf(request.user), person: personOf(request.user) }));
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

const port = variant.endsWith('express') ? await expressApp() : await fastifyApp();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => process.exit(0));
// Never outlive the benchmark: exit when orphaned.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
