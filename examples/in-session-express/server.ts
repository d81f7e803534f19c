/**
 * The guide's Flask application with an in-session agent (Reference Example 1,
 * Steps 4, 5, 9 and 11.5), as an Express 5 app over HTTPS.
 *
 *   npx tsx examples/in-session-express/server.ts
 *
 * Routes:
 *   POST /login                         DEMO ONLY: logs in the guide's test user (stands in for your OIDC login)
 *   POST /logout
 *   GET  /dashboard                     Step 4.3: the act from the session (identifiers only)
 *   GET  /agent-task                    Step 5.4: a dual-subject token for the session's user
 *   POST /api/agent/analyze-finances    Example 1: token + GET API_URL + analysis
 *   POST /api/agent/quarterly-summary   Step 9.5: GET the report, POST a summary
 *   GET  /health, GET /ready            Step 11.5
 *
 * Reads getConfig()'s variables (DUAL_AUTH_VENDOR, <VENDOR>_TOKEN_URL,
 * AGENT_CLIENT_ID, AGENT_CLIENT_SECRET, ...), API_URL, SESSION_SECRET (the
 * guide's FLASK_SECRET_KEY), TLS_CERT_PATH, TLS_KEY_PATH, PORT (default 5000).
 *
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
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
  getConfig,
  humanIdForLogging, // logs an IAM id as is, an email-like id as a pseudonym
  type Act,
  type TokenResponse,
} from '../../src/index.js';
import { getAdapter } from '../shared/adapter.js';
import { consoleLogger, loadDotEnv, requireEnv, trustedCa } from '../shared/env.js';
import { startHttpsServer } from '../shared/server.js';
import { SessionCookies, type SessionUser } from '../shared/session-cookie.js';

loadDotEnv();
const logger = consoleLogger('in-session-express');
const ca = trustedCa();
const cookies = new SessionCookies(process.env.SESSION_SECRET);
if (!process.env.SESSION_SECRET) logger.warn({ event: 'session_secret_generated' }, 'SESSION_SECRET not set: using a random key (sessions end on restart)');

// Built once for the life of the app: one adapter, one HTTP pool. (The guide
// builds them per request; the result is the same, minus the set-up cost.)
const { adapter } = await getAdapter({ ca, logger });
const tokenRequest = new InSessionTokenRequest(adapter, { logger });
const sender = new HybridSender({ logger });
const client = new InSessionAPICall({ timeoutMs: 30_000, ca, logger });
const agentId = requireEnv('AGENT_CLIENT_ID');
const apiUrl = requireEnv('API_URL');

/** The guide's test user; a real app gets these from the OIDC ID token (Step 4.4). */
const DEMO_USER: SessionUser = { id: 'user_12345', email: 'alice@corp.example.com', name: 'Alice Smith' };

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '16kb' }));

/** `session['user']` of the guide, or undefined when not logged in. */
function sessionUser(req: Request): SessionUser | undefined {
  return cookies.read(req.headers.cookie);
}

/** Steps 4.3 and 5.3: UserSession from the session, then the act claim. */
function actFor(user: SessionUser): Act {
  const userSession = new UserSession({ userEmail: user.email, userName: user.name, userId: user.id });
  return sender.extractActFromSession(userSession);
}

function requestToken(act: Act, scope: string[]): Promise<TokenResponse> {
  return tokenRequest.requestToken({ agentId, act, scope });
}

// --- DEMO login: stands in for your real OIDC / SAML login. Never take identity from a request body.
app.post('/login', (_req: Request, res: Response) => {
  res.set('set-cookie', cookies.issue(DEMO_USER)).json({ loggedIn: true, userId: DEMO_USER.id });
});

app.get('/login', (_req: Request, res: Response) => {
  res.json({ login: 'POST /login logs in the demo user (a real app redirects to its IAM here)' });
});

app.post('/logout', (_req: Request, res: Response) => {
  res.set('set-cookie', cookies.clear()).json({ loggedIn: false });
});

// Step 4.3: extract the act from the session.
app.get('/dashboard', (req: Request, res: Response) => {
  const user = sessionUser(req);
  if (!user) {
    res.redirect(303, '/login');
    return;
  }
  const act = actFor(user);
  // act is ready to pass to the agent: { sub, email, name }. Shown here by id and field names only.
  res.json({ humanId: act.sub, actFields: Object.keys(act) });
});

// Step 5.4: a token for the logged-in user.
app.get('/agent-task', async (req: Request, res: Response, next: NextFunction) => {
  const user = sessionUser(req);
  if (!user) {
    res.redirect(303, '/login');
    return;
  }
  try {
    const token = await requestToken(actFor(user), ['finance.read']);
    res.json({ status: 'success', token_type: token.tokenType, expires_in: token.expiresIn });
  } catch (error) {
    next(error);
  }
});

// Reference Example 1: the agent analyses the user's finances.
app.post('/api/agent/analyze-finances', async (req: Request, res: Response, next: NextFunction) => {
  // 1. Verify user authenticated
  const user = sessionUser(req);
  if (!user) {
    res.status(401).json({ error: 'Not authenticated' });
    return;
  }
  try {
    // 2. Extract human identity; log with the IAM identifier (not PII)
    const act = actFor(user);
    logger.info({ event: 'agent_task_start', human_id: humanIdForLogging(act.sub) }, 'Finance analysis requested');

    // 3. Get a token
    const token = await requestToken(act, ['finance.read']);

    // 4. Make the API call
    const response = await client.callApi({ method: 'GET', apiUrl, tokenResponse: token, params: { user_id: user.id } });
    if (response.status !== 200) {
      await response.body?.cancel();
      res.status(response.status).json({ error: 'API call failed' });
      return;
    }
    const data = (await response.json()) as { assets?: number[]; liabilities?: number[] };

    // 5. Analyse (the agent's logic)
    const sum = (values: number[] | undefined) => (values ?? []).reduce((total, value) => total + value, 0);
    const analysis = {
      total_assets: sum(data.assets),
      total_liabilities: sum(data.liabilities),
      net_worth: sum(data.assets) - sum(data.liabilities),
    };
    logger.info({ event: 'agent_task_complete', human_id: humanIdForLogging(act.sub) }, 'Finance analysis completed');
    res.json(analysis);
  } catch (error) {
    next(error);
  }
});

// Step 9.5: read the report, post a summary (finance.read + finance.write).
app.post('/api/agent/quarterly-summary', async (req: Request, res: Response, next: NextFunction) => {
  const user = sessionUser(req);
  if (!user) {
    res.status(401).json({ error: 'Not authenticated' });
    return;
  }
  try {
    const token = await requestToken(actFor(user), ['finance.read', 'finance.write']);
    const reportResponse = await client.callApi({ method: 'GET', apiUrl, tokenResponse: token, params: { quarter: 'Q4', year: '2025' } });
    if (reportResponse.status !== 200) {
      await reportResponse.body?.cancel();
      res.json({ success: false, error: 'API call failed' });
      return;
    }
    const report = (await reportResponse.json()) as { revenue: number; expenses: number };
    const summary = { total_revenue: report.revenue, total_expenses: report.expenses, net_income: report.revenue - report.expenses };
    const summaryResponse = await client.callApi({
      method: 'POST',
      apiUrl: new URL('summaries', apiUrl).toString(), // API_URL .../finance/report -> .../finance/summaries
      tokenResponse: token,
      jsonData: summary,
    });
    if (summaryResponse.status !== 201) {
      await summaryResponse.body?.cancel();
      res.json({ success: false, error: 'API call failed' });
      return;
    }
    const { id } = (await summaryResponse.json()) as { id: string };
    res.json({ success: true, summary_id: id, summary });
  } catch (error) {
    next(error);
  }
});

// Step 11.5: health and readiness.
app.get('/health', async (_req: Request, res: Response) => {
  let configHealthy = true;
  try {
    await getConfig();
  } catch {
    configHealthy = false;
  }
  res.status(configHealthy ? 200 : 503).json({ status: configHealthy ? 'healthy' : 'degraded', config_loaded: configHealthy });
});

app.get('/ready', (_req: Request, res: Response) => {
  const ready = ['DUAL_AUTH_VENDOR'].every((name) => Boolean(process.env[name]));
  res.status(ready ? 200 : 503).json({ ready });
});

// Errors: the class and code are logged, never the message details of a token or a user.
app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const code = error instanceof DualAuthError ? error.code : 'ERR_INTERNAL';
  logger.error({ event: 'agent_task_failed', error_type: (error as Error)?.name, code }, 'Agent task failed');
  if (error instanceof ConfigurationError || error instanceof SecretsBackendError) {
    res.status(500).json({ error: 'Configuration error' });
  } else if (error instanceof TokenRequestError) {
    res.status(502).json({ error: 'Token request failed', code });
  } else if (error instanceof HttpError) {
    res.status(502).json({ error: 'API unreachable', code });
  } else {
    res.status(500).json({ error: 'Internal server error' });
  }
});

await startHttpsServer('in-session-express', 5000, app);
