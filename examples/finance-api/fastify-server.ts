/**
 * The finance API again, as a Fastify 5 app: the same routes and answers as
 * server.ts, with the package's `dual-auth/fastify` plugin (`dualAuthPlugin`)
 * verifying every request of the scope it is registered in.
 *
 *   npx tsx examples/finance-api/fastify-server.ts
 *
 * Reads the same variables as server.ts; PORT default 9443.
 * An application writes `from 'dual-auth/fastify'`; the examples import the source.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyRequest } from 'fastify';
import { dualAuthPlugin } from '../../src/fastify.js';
import { consoleLogger, listenPort, loadDotEnv, serverTls } from '../shared/env.js';
import { report, verifyOptionsFromEnv } from './options.js';

loadDotEnv();
const logger = consoleLogger('finance-api');
const verifyOptions = verifyOptionsFromEnv(logger);

const app = Fastify({ https: serverTls(), bodyLimit: 16 * 1024, logger: false });

/** Who is asking: IAM identifiers only (never the email or the name). */
function caller(request: FastifyRequest): { agent: string; human: string } {
  return { agent: request.dualAuth!.agent.id, human: request.dualAuth!.human.id };
}

// A child scope: the plugin guards the /finance routes registered inside it.
await app.register(
  async (finance) => {
    await finance.register(dualAuthPlugin, verifyOptions);

    finance.get('/report', async (request) => ({ ...report(request.query as Record<string, unknown>), ...caller(request) }));

    finance.post('/summaries', async (request, reply) =>
      reply.code(201).send({ id: randomUUID(), received: typeof request.body === 'object' && request.body !== null, ...caller(request) }),
    );

    finance.post<{ Body: { amount: number; description?: string } }>(
      '/transactions',
      { schema: { body: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' }, description: { type: 'string', maxLength: 500 } } } } },
      async (request, reply) => reply.code(201).send({ id: randomUUID(), amount: request.body.amount, ...caller(request) }),
    );
  },
  { prefix: '/finance' },
);

const address = await app.listen({ port: listenPort(9443), host: process.env.HOST || '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
console.log(`[finance-api] listening on ${address}`);
