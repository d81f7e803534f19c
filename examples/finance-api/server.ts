/**
 * The finance API the agents call: an Express 5 resource server that accepts a
 * request only with a valid dual-subject token. All token checks are the
 * package's `dual-auth/express` middleware (`dualAuth`): signature against the
 * IAM's JWKS, iss, aud, exp, the agent (sub/client) and the human (act); for
 * EntraID also the app-signed X-Act-Assertion header.
 *
 *   npx tsx examples/finance-api/server.ts     (fastify-server.ts: the same with dual-auth/fastify)
 *
 * Reads: DUAL_AUTH_VENDOR, DUAL_AUTH_ISSUER, DUAL_AUTH_JWKS_URI (optional),
 * DUAL_AUTH_AUDIENCE (else API_AUDIENCE), and for EntraID APP_PUBLIC_KEY_PATH,
 * APP_ID, API_AUDIENCE; TLS_CERT_PATH, TLS_KEY_PATH, PORT (default 9443).
 *
 * An application writes `from 'dual-auth/express'`; the examples import the source.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { dualAuth } from '../../src/express.js';
import { consoleLogger, loadDotEnv } from '../shared/env.js';
import { startHttpsServer } from '../shared/server.js';
import { report, verifyOptionsFromEnv } from './options.js';

loadDotEnv();
const logger = consoleLogger('finance-api');

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '16kb' }));

// Everything under /finance needs a verified dual-subject token.
app.use('/finance', dualAuth(verifyOptionsFromEnv(logger)));

/** Who is asking: IAM identifiers only (never the email or the name). */
function caller(req: Request): { agent: string; human: string } {
  return { agent: req.dualAuth!.agent.id, human: req.dualAuth!.human.id };
}

app.get('/finance/report', (req: Request, res: Response) => {
  res.json({ ...report(req.query), ...caller(req) });
});
// Step 9.5: the agent posts a summary.
app.post('/finance/summaries', (req: Request, res: Response) => {
  res.status(201).json({ id: randomUUID(), received: typeof req.body === 'object' && req.body !== null, ...caller(req) });
});

// Step 9.4: a transaction; needs a number amount.
app.post('/finance/transactions', (req: Request, res: Response) => {
  const amount = (req.body as { amount?: unknown } | undefined)?.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    res.status(400).json({ error: 'amount must be a number' });
    return;
  }
  res.status(201).json({ id: randomUUID(), amount, ...caller(req) });
});

app.use((_req: Request, res: Response) => {
  res.status(404).json({ error: 'not_found' });
});

await startHttpsServer('finance-api', 9443, app);
