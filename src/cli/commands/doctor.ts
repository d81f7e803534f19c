/**
 * `dual-auth doctor`: loads the configuration the way the library does
 * (getConfig), checks the token URL answers over verified HTTPS, and with
 * --request-token asks for a token and shows its decoded claims. Each failure
 * is explained in plain words with the fix; nothing secret is printed.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';

import { createAdapter, getConfig, InSessionTokenRequest, type DualAuthConfig } from '../../index.js';
import { HttpClient } from '../../index.js';
import { explainConfigError, explainNetworkError, explainTokenError, tokenUrlVariable, type Explanation } from '../explain.js';
import { loadCa, loadEnvironment, type EnvOptions } from '../context.js';
import { cliInvocation } from '../invocation.js';
import { Printer, type CliIo } from '../io.js';

export interface DoctorOptions extends EnvOptions {
  vendor?: string;
  requestToken?: boolean;
  scope?: string;
  ca?: string;
  timeoutMs?: number;
  json?: boolean;
}

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
  problem?: string;
  fix?: string;
  hint?: string;
}

/** The act the doctor's test token carries: a placeholder, no personal data. */
const DOCTOR_ACT = { sub: 'dual-auth-doctor' };

export async function doctorCommand(options: DoctorOptions, io: CliIo): Promise<number> {
  const out = new Printer(io, options.json === true);
  const checks: Check[] = [];
  let claims: Record<string, unknown> | undefined;
  let actAssertionClaims: Record<string, unknown> | undefined;
  const report = (check: Check): void => {
    checks.push(check);
    out.line(`${check.ok ? '✓' : '✗'} ${check.name}${check.detail ? `: ${check.detail}` : ''}`);
    if (!check.ok && check.fix) out.line(`  Fix: ${check.fix}`);
    if (!check.ok && check.hint) out.line(`  Hint: ${check.hint}`);
  };
  const fail = (name: string, why: Explanation): void =>
    report({ name, ok: false, detail: why.message, problem: why.problem, fix: why.fix, ...(why.hint ? { hint: why.hint } : {}) });
  const finish = (): number => {
    const ok = checks.every((c) => c.ok);
    out.result({ ok, checks, ...(claims ? { claims } : {}), ...(actAssertionClaims ? { actAssertionClaims } : {}) });
    out.line(ok ? '\nAll checks passed.' : '\nSome checks failed.');
    return ok ? 0 : 1;
  };

  out.line('dual-auth doctor');
  const cli = cliInvocation(io);
  let env: Record<string, string | undefined>;
  let ca: string | undefined;
  try {
    env = await loadEnvironment(options, io, out);
    ca = loadCa(options.ca, env, io);
  } catch (error) {
    fail('environment', { problem: 'environment', message: (error as Error).message, fix: 'Give an existing file with --env-file / --ca, or leave them out.' });
    return finish();
  }
  const vendorGuess = (options.vendor ?? env.DUAL_AUTH_VENDOR ?? 'keycloak').toLowerCase().trim();

  // 1. Configuration, through the library's own loader.
  let config: DualAuthConfig;
  try {
    config = await getConfig({ env, ...(options.vendor ? { vendor: options.vendor } : {}) });
    out.protect(config.clientSecret);
    report({ name: 'configuration', ok: true, detail: `vendor ${config.vendor}, client ${config.clientId}, token URL ${config.tokenUrl}` });
  } catch (error) {
    fail('configuration', explainConfigError(error, vendorGuess, cli));
    return finish();
  }

  // 2. The token URL answers over HTTPS with a trusted certificate. Any HTTP status counts:
  // a token endpoint answers a GET with 4xx, which still proves the route and TLS work.
  const url = new URL(config.tokenUrl);
  const http = new HttpClient({ timeoutMs: options.timeoutMs ?? 5_000, retries: 0, ...(ca ? { ca } : {}) });
  try {
    const answer = await http.request(url, { method: 'GET', retry: false });
    report({ name: 'token URL reachable', ok: true, detail: `${url.host} answered over HTTPS (HTTP ${answer.status} to a GET)` });
  } catch (error) {
    fail('token URL reachable', explainNetworkError(error, url, cli));
    return finish();
  }

  // 3. Optionally, a real token request with a placeholder act.
  if (options.requestToken) {
    try {
      const adapter = createAdapter(config, { timeoutMs: options.timeoutMs ?? 10_000, retries: 0, ...(ca ? { ca } : {}) });
      const scope = (options.scope ?? 'finance.read').split(/[ ,]+/).filter(Boolean);
      const token = await new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, act: DOCTOR_ACT, scope });
      claims = decodeJwt(token.accessToken) as Record<string, unknown>;
      const header = decodeProtectedHeader(token.accessToken);
      report({ name: 'token request', ok: true, detail: `${token.tokenType} token, expires in ${token.expiresIn} s, signed ${header.alg ?? '?'}` });
      out.line('  Access token claims (decoded, signature not shown):');
      out.line(indent(JSON.stringify(claims, null, 2), 4));
      if (token.actAssertion) {
        actAssertionClaims = decodeJwt(token.actAssertion) as Record<string, unknown>;
        out.line('  Act assertion claims (X-Act-Assertion, decoded):');
        out.line(indent(JSON.stringify(actAssertionClaims, null, 2), 4));
      }
    } catch (error) {
      fail('token request', explainTokenError(error, config.vendor, cli));
    }
  } else {
    out.line(`  (add --request-token to ask ${tokenUrlVariable(config.vendor)} for a token)`);
  }
  return finish();
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.split('\n').map((l) => pad + l).join('\n');
}
