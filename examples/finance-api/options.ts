/**
 * What both finance API variants (Express, Fastify) share: the verification
 * options from the environment and the demo data.
 */
import { readFileSync } from 'node:fs';
import { getVendor, VENDORS, type Vendor, type VerifyOptions } from '../../src/index.js';
import { requireEnv, trustedCa, type consoleLogger } from '../shared/env.js';

/**
 * DUAL_AUTH_VENDOR, DUAL_AUTH_ISSUER, DUAL_AUTH_AUDIENCE (else API_AUDIENCE),
 * DUAL_AUTH_JWKS_URI (optional); EntraID: APP_PUBLIC_KEY_PATH, APP_ID, API_AUDIENCE.
 */
export function verifyOptionsFromEnv(logger: ReturnType<typeof consoleLogger>): VerifyOptions {
  const vendor = getVendor() as Vendor;
  if (!VENDORS.includes(vendor)) throw new Error(`Unknown vendor: ${vendor}`);
  const audience = process.env.DUAL_AUTH_AUDIENCE || requireEnv('API_AUDIENCE');
  return {
    vendor,
    issuer: requireEnv('DUAL_AUTH_ISSUER'),
    audience,
    // Default: the vendor's well-known JWKS path under the issuer.
    ...(process.env.DUAL_AUTH_JWKS_URI ? { jwksUri: process.env.DUAL_AUTH_JWKS_URI } : {}),
    ca: trustedCa(),
    ...(vendor === 'entraid'
      ? {
          // EntraID tokens carry no act: the human comes in X-Act-Assertion, signed by the application.
          actAssertionKey: readFileSync(requireEnv('APP_PUBLIC_KEY_PATH'), 'utf8'),
          actAssertionAudience: process.env.API_AUDIENCE || audience,
          ...(process.env.APP_ID ? { actAssertionIssuer: process.env.APP_ID } : {}),
        }
      : {}),
    logger,
  };
}

/** The report of the guide's examples: Example 1 reads assets/liabilities, Step 9.5 revenue/expenses. */
export function report(query: Record<string, unknown>): Record<string, unknown> {
  return {
    quarter: typeof query.quarter === 'string' ? query.quarter : 'Q4',
    year: typeof query.year === 'string' ? query.year : '2025',
    revenue: 1_250_000,
    expenses: 830_000,
    assets: [120_000, 45_000, 310_000],
    liabilities: [80_000, 15_000],
  };
}
