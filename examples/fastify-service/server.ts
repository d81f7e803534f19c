/**
 * The guide's FastAPI agent service (Reference Example 2) as a Fastify 5 app
 * over HTTPS: a web application posts the logged-in user and a task; the
 * service obtains a dual-subject token for that user and runs the task
 * against the finance API.
 *
 *   npx tsx examples/fastify-service/server.ts
 *
 *   POST /api/agent/task   Authorization: Bearer <AGENT_SERVICE_TOKEN>
 *        { user_email, user_name, user_id, task, parameters }
 *        tasks: "finance-report" (GET API_URL), "create-transaction" (POST .../transactions, parameters.amount)
 *
 * FastAPI's HTTPBearer only checks that a bearer is present; here the caller
 * must present AGENT_SERVICE_TOKEN (compared in constant time): a stand-in for
 * your service-to-service authentication (mTLS, a verified JWT, ...). The
 * service trusts the user fields because it trusts that caller.
 *
 * Reads getConfig()'s variables, API_URL, AGENT_SERVICE_TOKEN, TLS_CERT_PATH,
 * TLS_KEY_PATH, PORT (default 8000).
 *
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  ConfigurationError,
  DualAuthError,
  HttpError,
  HybridSender,
  InSessionAPICall,
  InSessionTokenRequest,
  SecretsBackendError,
  TokenRequestError,
  UserSession,
  type TokenResponse,
} from '../../src/index.js';
import { getAdapter } from '../shared/adapter.js';
import { consoleLogger, listenPort, loadDotEnv, requireEnv, serverTls, trustedCa } from '../shared/env.js';

loadDotEnv();
const logger = consoleLogger('fastify-service');
const ca = trustedCa();

// Built once: one adapter and one HTTP pool for the life of the service.
const { adapter } = await getAdapter({ ca, logger });
const tokenRequest = new InSessionTokenRequest(adapter, { logger });
const sender = new HybridSender({ logger });
const client = new InSessionAPICall({ timeoutMs: 30_000, ca, logger });
const agentId = requireEnv('AGENT_CLIENT_ID');
const apiUrl = requireEnv('API_URL');
const serviceTokenDigest = createHash('sha256').update(requireEnv('AGENT_SERVICE_TOKEN')).digest();

/** The guide's pydantic AgentRequest, as a JSON schema Fastify validates. */
interface AgentRequest {
  user_email: string;
  user_name: string;
  user_id: string;
  task: string;
  parameters?: Record<string, unknown>;
}
const agentRequestSchema = {
  type: 'object',
  required: ['user_email', 'user_name', 'user_id', 'task'],
  additionalProperties: false,
  properties: {
    user_email: { type: 'string', minLength: 3, maxLength: 320 },
    user_name: { type: 'string', maxLength: 200 },
    user_id: { type: 'string', minLength: 1, maxLength: 200 },
    task: { type: 'string', enum: ['finance-report', 'create-transaction'] },
    parameters: { type: 'object', default: {} },
  },
} as const;

const app = Fastify({ https: serverTls(), bodyLimit: 16 * 1024, logger: false });

/** HTTPBearer: 403 without a bearer (as FastAPI), 401 with a wrong one. */
async function requireServiceToken(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  if (!match) return reply.code(403).send({ detail: 'Not authenticated' });
  // Digests have equal length, so timingSafeEqual never throws and nothing leaks through timing.
  const given = createHash('sha256').update(match[1]!).digest();
  if (!timingSafeEqual(given, serviceTokenDigest)) return reply.code(401).send({ detail: 'Invalid credentials' });
}

async function executeTask(token: TokenResponse, task: string, parameters: Record<string, unknown>): Promise<unknown> {
  switch (task) {
    case 'finance-report': {
      const response = await client.callApi({ method: 'GET', apiUrl, tokenResponse: token, params: { quarter: String(parameters.quarter ?? 'Q4') } });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { apiStatus: response.status };
      }
      const report = (await response.json()) as { quarter: string; revenue: number; expenses: number; agent?: string; human?: string };
      // api_saw: the identities the API verified (IAM ids), agent and human.
      return { apiStatus: 200, quarter: report.quarter, net_income: report.revenue - report.expenses, api_saw: { agent: report.agent, human: report.human } };
    }
    case 'create-transaction': {
      const response = await client.callApi({
        method: 'POST',
        apiUrl: new URL('transactions', apiUrl).toString(), // API_URL .../finance/report -> .../finance/transactions
        tokenResponse: token,
        jsonData: { amount: parameters.amount, description: parameters.description },
      });
      const body = (await response.json().catch(() => ({}))) as { id?: string };
      return { apiStatus: response.status, transaction_id: body.id };
    }
    default:
      // Unreachable: the schema admits only the tasks above.
      throw new Error('Unknown task');
  }
}

app.post<{ Body: AgentRequest }>(
  '/api/agent/task',
  { schema: { body: agentRequestSchema }, preHandler: requireServiceToken },
  async (request, reply) => {
    const body = request.body;
    try {
      // 1. Extract act
      const userSession = new UserSession({ userEmail: body.user_email, userName: body.user_name, userId: body.user_id });
      const act = sender.extractActFromSession(userSession);

      // 2. Get a token
      const token = await tokenRequest.requestToken({ agentId, act, scope: ['finance.read'] });

      // 3. Execute the task
      const result = await executeTask(token, body.task, body.parameters ?? {});
      return { status: 'success', task: body.task, result };
    } catch (error) {
      const code = error instanceof DualAuthError ? error.code : 'ERR_INTERNAL';
      logger.error({ event: 'agent_task_failed', error_type: (error as Error)?.name, code }, 'Agent task failed');
      // A bad user field (e.g. an empty email) is the caller's mistake.
      if (code === 'ERR_INVALID_ARGUMENT') return reply.code(400).send({ detail: (error as Error).message });
      if (error instanceof ConfigurationError || error instanceof SecretsBackendError) return reply.code(500).send({ detail: 'Configuration error' });
      // The library's messages carry no secret, token or PII.
      if (error instanceof TokenRequestError || error instanceof HttpError) return reply.code(502).send({ detail: (error as Error).message, code });
      return reply.code(500).send({ detail: 'Internal server error' });
    }
  },
);

const host = process.env.HOST || '127.0.0.1';
const address = await app.listen({ port: listenPort(8000), host });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
console.log(`[fastify-service] listening on ${address}`);
