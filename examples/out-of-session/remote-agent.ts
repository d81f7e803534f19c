/**
 * The guide's out-of-session agent (Step 7.4) as an Express 5 service over
 * HTTPS: it receives the human identity as a signed act JWT, verifies it,
 * obtains a dual-subject token for itself and calls the finance API.
 *
 *   npx tsx examples/out-of-session/remote-agent.ts
 *
 *   POST /invoke  { "act_jwt": "<JWT from HybridSender.prepareOutOfSessionAct>" }
 *     200 { status, message, api_status, report }   401 when the JWT fails verification
 *
 * AGENT_ENDPOINT (e.g. https://127.0.0.1:8443/invoke) is both where it listens
 * (its port, unless PORT is set) and the audience every act JWT must carry.
 * Reads getConfig()'s variables, APP_PUBLIC_KEY_PATH, AGENT_ENDPOINT, API_URL,
 * TLS_CERT_PATH, TLS_KEY_PATH.
 *
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  ActVerificationError,
  ConfigurationError,
  DualAuthError,
  HttpError,
  OutOfSessionAPICall,
  OutOfSessionTokenRequest,
  SecretsBackendError,
  TokenRequestError,
} from '../../src/index.js';
import { getAdapter } from '../shared/adapter.js';
import { consoleLogger, loadDotEnv, requireEnv, trustedCa } from '../shared/env.js';
import { startHttpsServer } from '../shared/server.js';

loadDotEnv();
const logger = consoleLogger('remote-agent');
const ca = trustedCa();
const agentEndpoint = requireEnv('AGENT_ENDPOINT');
const apiUrl = requireEnv('API_URL');
const agentId = requireEnv('AGENT_CLIENT_ID');

// 2-3. Adapter and handler, built ONCE: the handler's replay cache must see
// every act JWT this agent accepts, or a captured JWT could be replayed.
const { adapter } = await getAdapter({ ca, logger });
const tokenRequest = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: requireEnv('APP_PUBLIC_KEY_PATH'), logger });
const client = new OutOfSessionAPICall({ timeoutMs: 30_000, ca, logger });

const app = express();
app.disable('x-powered-by');
// An act JWT is small; the library also refuses JWTs over 16 KiB.
app.use(express.json({ limit: '32kb' }));

app.post(new URL(agentEndpoint).pathname, async (req: Request, res: Response, next: NextFunction) => {
  // 1. Get the act JWT from the request
  const actJwt = (req.body as { act_jwt?: unknown } | undefined)?.act_jwt;
  if (typeof actJwt !== 'string' || actJwt === '') {
    res.status(400).json({ error: 'Missing act_jwt' });
    return;
  }
  try {
    // 4. Verify the JWT (RS256 signature, exp, aud = this endpoint, jti never seen) and extract act
    const act = await tokenRequest.receiveAndVerifyActJwt({ actJwt, expectedAudience: agentEndpoint });

    // 5. Request a token with the verified act
    const token = await tokenRequest.requestToken({ agentId, act, scope: ['finance.read'] });

    // 6. Perform the agent task with the token (Step 9)
    const response = await client.callApi({ method: 'GET', apiUrl, tokenResponse: token, params: { quarter: 'Q4' } });
    const report =
      response.status === 200 ? ((await response.json()) as { quarter: string; revenue: number; expenses: number; agent?: string; human?: string }) : undefined;
    if (!report) await response.body?.cancel();
    res.json({
      status: response.status === 200 ? 'success' : 'api_error',
      message: response.status === 200 ? 'Agent task completed' : 'API call failed',
      api_status: response.status,
      // What the API verified: the agent (token subject/client) and the human (act), as IAM ids.
      ...(report ? { report: { quarter: report.quarter, net_income: report.revenue - report.expenses }, api_saw: { agent: report.agent, human: report.human } } : {}),
    });
  } catch (error) {
    next(error);
  }
});

app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const code = error instanceof DualAuthError ? error.code : 'ERR_INTERNAL';
  logger.error({ event: 'agent_task_failed', error_type: (error as Error)?.name, code }, 'Agent task failed');
  // Python answers 401 on a ValueError from verification; the library's messages carry no token or PII.
  if (error instanceof ActVerificationError) {
    res.status(401).json({ error: `JWT verification failed: ${error.message}`, code });
  } else if (error instanceof ConfigurationError || error instanceof SecretsBackendError) {
    res.status(500).json({ error: 'Configuration error' });
  } else if (error instanceof TokenRequestError || error instanceof HttpError) {
    res.status(502).json({ error: error.message, code });
  } else if ((error as { type?: string })?.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'Body must be JSON' });
  } else {
    res.status(500).json({ error: 'Internal server error' });
  }
});

const port = process.env.PORT ?? (new URL(agentEndpoint).port || '443');
process.env.PORT = port;
await startHttpsServer('remote-agent', Number(port), app);
