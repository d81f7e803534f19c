/**
 * `dual-auth token --user-id --email --scope`: requests a dual-subject token
 * for the configured agent acting for the given user, and prints its decoded
 * claims (never the token itself).
 */
import { decodeJwt } from 'jose';

import { createAdapter, getConfig, HybridSender, InSessionTokenRequest, UserSession, type DualAuthConfig } from '../../index.js';
import { explainConfigError, explainTokenError, type Explanation } from '../explain.js';
import { loadCa, loadEnvironment, type EnvOptions } from '../context.js';
import { cliInvocation } from '../invocation.js';
import { Printer, type CliIo } from '../io.js';

export interface TokenOptions extends EnvOptions {
  userId?: string;
  email: string;
  name?: string;
  scope?: string;
  vendor?: string;
  ca?: string;
  timeoutMs?: number;
  json?: boolean;
}

export async function tokenCommand(options: TokenOptions, io: CliIo): Promise<number> {
  const out = new Printer(io, options.json === true);
  const cli = cliInvocation(io);
  let config: DualAuthConfig;
  let ca: string | undefined;
  try {
    const env = await loadEnvironment(options, io, out);
    ca = loadCa(options.ca, env, io);
    config = await getConfig({ env, ...(options.vendor ? { vendor: options.vendor } : {}) });
    out.protect(config.clientSecret);
  } catch (error) {
    const why = explainConfigError(error, options.vendor ?? 'keycloak', cli);
    reportFailure(out, why);
    return 1;
  }
  try {
    const session = new UserSession({ userEmail: options.email, ...(options.userId ? { userId: options.userId } : {}), ...(options.name ? { userName: options.name } : {}) });
    const act = new HybridSender().extractActFromSession(session);
    const adapter = createAdapter(config, { timeoutMs: options.timeoutMs ?? 10_000, ...(ca ? { ca } : {}) });
    const scope = (options.scope ?? 'finance.read').split(/[ ,]+/).filter(Boolean);
    const token = await new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, act, scope });
    const claims = decodeJwt(token.accessToken);
    const actAssertionClaims = token.actAssertion ? decodeJwt(token.actAssertion) : undefined;
    out.line(`${token.tokenType} token from ${config.vendor}, expires in ${token.expiresIn} s, scope: ${token.scope || '(none)'}`);
    out.line('Access token claims (decoded, signature not shown):');
    out.line(JSON.stringify(claims, null, 2));
    if (actAssertionClaims) {
      out.line('Act assertion claims (sent as X-Act-Assertion, decoded):');
      out.line(JSON.stringify(actAssertionClaims, null, 2));
    }
    out.result({ ok: true, vendor: config.vendor, tokenType: token.tokenType, expiresIn: token.expiresIn, scope: token.scope, claims, ...(actAssertionClaims ? { actAssertionClaims } : {}) });
    return 0;
  } catch (error) {
    const why = explainTokenError(error, config.vendor, cli);
    reportFailure(out, why);
    return 1;
  }
}

function reportFailure(out: Printer, why: Explanation): void {
  out.error(`✗ ${why.message}\n  Fix: ${why.fix}${why.hint ? `\n  Hint: ${why.hint}` : ''}`);
  out.result({ ok: false, problem: why.problem, message: why.message, fix: why.fix, ...(why.hint ? { hint: why.hint } : {}) });
}
