/**
 * `dual-auth demo`: the whole dual-subject flow, for real, on this machine.
 * Starts the local IAM (oidc-provider over HTTPS, one vendor profile) and the
 * demo API, runs the flows of the chosen delegation through the library's
 * public API, and prints numbered steps. Any failure stops the run and is reported.
 * - 'act' (default): the reference flows, in session and out of session (reference-flows.ts);
 * - 'token-exchange': the agent exchanges the person's own token (token-exchange-flow.ts);
 * - 'assertion': the application signs the person for the API, the agent forwards it (assertion-flow.ts).
 */
import { getConfig, HttpClient } from '../../index.js';
import type { Delegation } from '../../domain/delegation.js';
import { DualAuthError } from '../../errors.js';
import { createDevCertificates } from '../../local-iam/certificates.js';
import { demoApiOptionsFor, startDemoApi, startLocalIam, type DemoApi, type LocalIam, type LocalIamVendor } from '../../local-iam/index.js';
import { LOCAL_IAM_PEERS, requirePeers } from '../../local-iam/optional.js';
import { Printer, type CliIo } from '../io.js';
import type { DemoContext, DemoFlow } from './context.js';
import { runReferenceFlows } from './reference-flows.js';
import { runTokenExchangeFlow } from './token-exchange-flow.js';
import { runAssertionFlow } from './assertion-flow.js';

/** The delegations the demo runs. */
export const DEMO_DELEGATIONS = ['act', 'token-exchange', 'assertion'] as const satisfies readonly Delegation[];
export type DemoDelegation = (typeof DEMO_DELEGATIONS)[number];

/** The layout the demo API reads for each delegation. */
const DEMO_API_LAYOUT: Record<DemoDelegation, string> = { act: 'act', 'token-exchange': 'delegated', assertion: 'assertion' };

const FLOWS: Record<DemoDelegation, (ctx: DemoContext) => Promise<void>> = {
  act: runReferenceFlows,
  'token-exchange': runTokenExchangeFlow,
  assertion: runAssertionFlow,
};

export interface DemoOptions {
  vendor?: LocalIamVendor;
  /** Who vouches for the person. Default is 'act' (the reference). */
  delegation?: DemoDelegation;
  json?: boolean;
}

export interface DemoStep {
  n: number;
  flow: DemoFlow;
  step: string;
  detail: string;
}

export interface DemoResult {
  ok: boolean;
  vendor: LocalIamVendor;
  delegation: DemoDelegation;
  steps: DemoStep[];
  durationMs: number;
  error?: { code: string; message: string };
}

const RULE = '='.repeat(60);

export async function runDemo(options: DemoOptions, io: CliIo): Promise<DemoResult> {
  const vendor = options.vendor ?? 'keycloak';
  const delegation = options.delegation ?? 'act';
  const out = new Printer(io, options.json === true);
  const started = Date.now();
  const steps: DemoStep[] = [];
  let flow: DemoFlow = 'setup';
  const step = (title: string, detail: string): void => {
    const s: DemoStep = { n: steps.length + 1, flow, step: title, detail };
    steps.push(s);
    out.line(`${String(s.n).padStart(2)}. ${title}`);
    if (detail) out.line(`    ✓ ${detail}`);
  };
  const section = (next: DemoFlow, title: string): void => {
    flow = next;
    out.line(`\n[${title}]`);
  };

  let iam: LocalIam | undefined;
  let api: DemoApi | undefined;
  const closers: Array<() => Promise<void>> = [];
  try {
    out.line(RULE);
    out.line(`dual-auth demo: ${vendor} profile, delegation '${delegation}', everything local over HTTPS`);
    out.line(RULE);

    section('setup', 'SET-UP');
    await requirePeers(LOCAL_IAM_PEERS, 'dual-auth demo');
    const certificates = await createDevCertificates();
    iam = await startLocalIam({ vendor, certificates });
    out.protect(iam.agent.clientSecret);
    step('Local IAM started (oidc-provider)', `issuer ${iam.issuer}`);
    api = await startDemoApi(demoApiOptionsFor(iam, certificates, delegation));
    step('Demo API started', `${api.reportUrl} accepts only dual-subject tokens (aud ${iam.apiAudience}, layout ${DEMO_API_LAYOUT[delegation]})`);

    // The agent reads its configuration like any user would: getConfig().
    const config = await getConfig({ env: iam.env, delegation });
    const http = new HttpClient({ timeoutMs: 15_000, retries: 0, ca: certificates.caCert });
    const ctx: DemoContext = {
      vendor,
      iam,
      api,
      certificates,
      config,
      ca: certificates.caCert,
      http,
      step,
      section,
      protect: (...values) => out.protect(...values),
      onClose: (close) => closers.push(close),
    };
    await FLOWS[delegation](ctx);

    // A flow may end in its own checks; the last check joins them.
    if ((flow as DemoFlow) !== 'check') section('check', 'CHECK');
    const bare = await http.request(api.reportUrl, { method: 'GET', retry: false });
    if (bare.status !== 401) throw new DualAuthError(`The API accepted a call without a token (HTTP ${bare.status})`, 'ERR_DEMO');
    step('API refused a call without a token', 'HTTP 401');

    const durationMs = Date.now() - started;
    out.line(`\n${RULE}`);
    out.line(`✓ DEMO PASSED: dual-subject tokens issued and accepted (${vendor}, ${delegation}, ${(durationMs / 1000).toFixed(1)} s)`);
    out.line(RULE);
    const done: DemoResult = { ok: true, vendor, delegation, steps, durationMs };
    out.result(done);
    return done;
  } catch (error) {
    const durationMs = Date.now() - started;
    const code = error instanceof DualAuthError ? error.code : 'ERR_DEMO';
    const message = error instanceof DualAuthError ? error.message : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
    out.error(`✗ ${message} [${code}]`);
    out.line(`\n${RULE}`);
    out.line(`✗ DEMO FAILED (${vendor}, ${delegation})`);
    out.line(RULE);
    const failed: DemoResult = { ok: false, vendor, delegation, steps, durationMs, error: { code, message } };
    out.result(failed);
    return failed;
  } finally {
    await Promise.allSettled([...closers.map((close) => close()), api?.close(), iam?.close()]);
  }
}
