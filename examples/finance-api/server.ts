/**
 * The finance API the agents call: an Express 5 resource server that accepts a
 * request only with a valid dual-subject token. All token checks are the
 * package's `dual-auth/express` middleware (`dualAuth`): signature against the
 * IAM's JWKS, iss, aud, exp, the agent (sub/client) and the human (act); for
 * EntraID also the app-signed X-Act-Assertion header.
 *
 *   npx tsx examples/finance-api/server.ts
 *
 * Reads: DUAL_AUTH_VENDOR, DUAL_AUTH_ISSUER, DUAL_AUTH_JWKS_URI (optional),
 * DUAL_AUTH_AUDIENCE (else API_AUDIENCE), and for EntraID APP_PUBLIC_KEY_PATH,
 * APP_ID, API_AUDIENCE; TLS_CERT_PATH, TLS_KEY_PATH, PORT (default 9443).
 *
 * An application writes `from 'dual-auth/express'`; the examples import the source.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import express, { type Request, type Response } from 'express';
import { getVendor, VENDORS, type Vendor } from '../../src/index.js';
import { dualAuth } from '../../src/express.js';
import { consoleLogger, loadDotEnv, requireEnv, trustedCa } from '../shared/env.js';
import { startHttpsServer } from '../shared/server.js';

loadDotEnv();
const logger = consoleLogger('finance-api');

const vendor = getVendor() as Vendor;
if (!VENDORS.includes(vendor)) throw new Error(`Unknown vendor: ${vendor}`);
const audience = process.env.DUAL_AUTH_AUDIENCE || requireEnv('API_AUDIENCE');

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '16kb' }));

// Everything under /finance needs a verified dual-subject token.
app.use(
  '/finance',
  dualAuth({
    vendor,
    issuer: requireEnv('DUAL_AUTH_ISSUER'),
    audience,
    // Default: the vendor's well-known JWKS path under the issuer.
    ...(process.env.DUAL_AUTH_JWKS_URI ? { jwksUri: process.env.DUAL_AUTH_JWKS_URI } : {}),
    ca: trustedCa(),
    ...(vendor === 'entraid'
      ? {
          // EntraID tokens carry no act: the human comes in X-Act-Assertion, signed by the app.
          actAssertionKey: readFileSync(requireEnv('APP_PUBLIC_KEY_PATH'), 'utf8'),
          actAssertionAudience: process.env.API_AUDIENCE || audience,
          ...(process.env.APP_ID ? { actAssertionIssuer: process.env.APP_ID } : {}),
        }
      : {}),
    logger,
  }),
);

/** Who is asking: IAM identifiers only (never the email or the name). */
function caller(req: Request): { agent: string; human: string } {
  return { agent: req.dualAuth!.agent.id, human: req.dualAuth!.human.id };
}

// The report of the guide's examples: Example 1 reads assets/liabilities, Step 9.5 revenue/expenses.
app.get('/finance/report', (req: Request, res: Response) => {
  const quarter = typeof req.query.quarter === 'string' ? req.query.quarter : 'Q4';
  const year = typeof req.query.year === 'string' ? req.query.year : '2025';
  res.json({
    quarter,
    year,
    revenue: 1_250_000,
    expenses: 830_000,
    assets: [120_000, 45_000, 310_000],
    liabilities: [80_000, 15_000],
    ...caller(req),
  });
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
