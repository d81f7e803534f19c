/**
 * `dual-auth demo`: the whole dual-subject flow, for real, on this machine.
 * Starts the local IAM (oidc-provider over HTTPS, one vendor profile) and the
 * demo API, runs the in-session flow and the out-of-session flow (application
 * -> remote agent over HTTPS -> IAM -> API) through the library's public API,
 * and prints numbered steps. Any failure stops the run and is reported.
 */
import { decodeJwt } from 'jose';

import {
  createAdapter,
  getConfig,
  HybridSender,
  InSessionAPICall,
  InSessionTokenRequest,
  UserSession,
} from '../../index.js';
import { DualAuthError } from '../../errors.js';
import { HttpClient } from '../../index.js';
import { createDevCertificates } from '../../local-iam/certificates.js';
import { demoApiOptionsFor, startDemoApi, startLocalIam, type DemoApi, type LocalIam, type LocalIamVendor } from '../../local-iam/index.js';
import { LOCAL_IAM_PEERS, requirePeers } from '../../local-iam/optional.js';
import { Printer, type CliIo } from '../io.js';
import { startRemoteAgent, type RemoteAgent, type RemoteAgentAnswer } from './remote-agent.js';

export interface DemoOptions {
  vendor?: LocalIamVendor;
  json?: boolean;
}

export interface DemoStep {
  n: number;
  flow: 'setup' | 'in-session' | 'out-of-session' | 'check';
  step: string;
  detail: string;
}

export interface DemoResult {
  ok: boolean;
  vendor: LocalIamVendor;
  steps: DemoStep[];
  durationMs: number;
  error?: { code: string; message: string };
}

const SCOPE = ['finance.read'];
const RULE = '='.repeat(60);

export async function runDemo(options: DemoOptions, io: CliIo): Promise<DemoResult> {
  const vendor = options.vendor ?? 'keycloak';
  const out = new Printer(io, options.json === true);
  const started = Date.now();
  const steps: DemoStep[] = [];
  let flow: DemoStep['flow'] = 'setup';
  const step = (title: string, detail: string): void => {
    const s: DemoStep = { n: steps.length + 1, flow, step: title, detail };
    steps.push(s);
    out.line(`${String(s.n).padStart(2)}. ${title}`);
    if (detail) out.line(`    ✓ ${detail}`);
  };
  const section = (next: DemoStep['flow'], title: string): void => {
    flow = next;
    out.line(`\n[${title}]`);
  };

  let iam: LocalIam | undefined;
  let api: DemoApi | undefined;
  let agent: RemoteAgent | undefined;
  try {
    out.line(RULE);
    out.line(`dual-auth demo: ${vendor} profile, everything local over HTTPS`);
    out.line(RULE);

    section('setup', 'SET-UP');
    await requirePeers(LOCAL_IAM_PEERS, 'dual-auth demo');
    const certificates = await createDevCertificates();
    iam = await startLocalIam({ vendor, certificates });
    out.protect(iam.agent.clientSecret);
    step('Local IAM started (oidc-provider)', `issuer ${iam.issuer}`);
    api = await startDemoApi(demoApiOptionsFor(iam, certificates));
    step('Demo API started', `${api.reportUrl} accepts only dual-subject tokens (aud ${iam.apiAudience})`);

    // The agent and the application read their configuration like any user would: getConfig().
    const config = await getConfig({ env: iam.env });
    const ca = certificates.caCert;

    section('in-session', 'IN-SESSION FLOW: the user is signed in, the agent acts now');
    const session = new UserSession({ userEmail: iam.testUser.email, userName: iam.testUser.name, userId: iam.testUser.id });
    step('User signed in', `user id ${iam.testUser.id}`);
    const sender = new HybridSender();
    const act = sender.prepareInSessionAct(sender.extractActFromSession(session));
    step('Human identity extracted (act)', `fields: ${Object.keys(act).join(', ')}`);
    const adapter = createAdapter(config, { ca, timeoutMs: 10_000 });
    step('IAM adapter created', `${adapter.constructor.name} for ${config.tokenUrl}`);
    const token = await new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, act, scope: SCOPE });
    step('Dual-subject token issued', describeToken(vendor, token));
    const response = await new InSessionAPICall({ timeoutMs: 10_000, ca }).callApi({
      method: 'GET',
      apiUrl: api.reportUrl,
      tokenResponse: token,
      params: { quarter: 'Q4' },
    });
    const body = (await response.json().catch(() => undefined)) as { agent?: string; human?: string } | undefined;
    if (response.status !== 200) throw new DualAuthError(`The API refused the in-session call (HTTP ${response.status})`, 'ERR_DEMO');
    step('API accepted the call', `HTTP 200: agent ${body?.agent} acting for ${body?.human}`);

    section('out-of-session', 'OUT-OF-SESSION FLOW: the application hands the work to a remote agent');
    agent = await startRemoteAgent({
      env: iam.env,
      appPublicKeyPath: iam.app.publicKeyPath,
      certificates,
      apiUrl: api.reportUrl,
      scope: SCOPE,
    });
    const agentEndpoint = agent.endpoint;
    step('Remote agent started', `endpoint ${agentEndpoint}`);
    const appSender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
    const actJwt = await appSender.prepareOutOfSessionAct({
      act: appSender.extractActFromSession(session),
      agentEndpoint: agent.endpoint,
      ttlSeconds: 60,
    });
    step('Application signed the act JWT', 'RS256 with the application key, audience = agent endpoint, expires in 60 s');
    const http = new HttpClient({ timeoutMs: 15_000, retries: 0, ca });
    const sendToAgent = async (): Promise<{ status: number; result: RemoteAgentAnswer }> => {
      const answer = await http.request(agentEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ actJwt }),
        retry: false,
      });
      return { status: answer.status, result: JSON.parse(answer.body.toString('utf8')) as RemoteAgentAnswer };
    };
    const { status, result } = await sendToAgent();
    step('Application sent it to the agent over HTTPS', `agent answered HTTP ${status}`);
    for (const s of result.steps) step(s.step, s.detail);
    if (!result.ok) {
      throw new DualAuthError(
        `The remote agent failed: ${result.error?.message ?? `API answered HTTP ${result.apiStatus}`}`,
        result.error?.code ?? 'ERR_DEMO',
      );
    }
    const apiBody = result.apiBody as { agent?: string; human?: string } | undefined;
    step('API accepted the agent\'s call', `agent ${apiBody?.agent} acting for ${apiBody?.human}`);

    // The same act JWT a second time must be refused (replay protection).
    const { status: replayStatus, result: replayAnswer } = await sendToAgent();
    if (replayStatus === 200 || replayAnswer.error?.code !== 'ERR_ACT_REPLAY') {
      throw new DualAuthError('The remote agent accepted a replayed act JWT', 'ERR_DEMO');
    }
    step('Replayed act JWT refused', `agent answered HTTP ${replayStatus}: ${replayAnswer.error.message}`);

    section('check', 'CHECK');
    const bare = await http.request(api.reportUrl, { method: 'GET', retry: false });
    if (bare.status !== 401) throw new DualAuthError(`The API accepted a call without a token (HTTP ${bare.status})`, 'ERR_DEMO');
    step('API refused a call without a token', 'HTTP 401');

    const durationMs = Date.now() - started;
    out.line(`\n${RULE}`);
    out.line(`✓ DEMO PASSED: dual-subject tokens issued and accepted (${vendor}, ${(durationMs / 1000).toFixed(1)} s)`);
    out.line(RULE);
    const done: DemoResult = { ok: true, vendor, steps, durationMs };
    out.result(done);
    return done;
  } catch (error) {
    const durationMs = Date.now() - started;
    const code = error instanceof DualAuthError ? error.code : 'ERR_DEMO';
    const message = error instanceof DualAuthError ? error.message : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
    out.error(`✗ ${message} [${code}]`);
    out.line(`\n${RULE}`);
    out.line(`✗ DEMO FAILED (${vendor})`);
    out.line(RULE);
    const failed: DemoResult = { ok: false, vendor, steps, durationMs, error: { code, message } };
    out.result(failed);
    return failed;
  } finally {
    await Promise.allSettled([agent?.close(), api?.close(), iam?.close()]);
  }
}

/** Agent, human and lifetime of a token, read from its decoded claims (never the token itself). */
function describeToken(vendor: LocalIamVendor, token: { accessToken: string; tokenType: string; expiresIn: number; actAssertion?: string | undefined }): string {
  const claims = decodeJwt(token.accessToken) as Record<string, unknown>;
  const agentId = claims.azp ?? claims.cid ?? claims.appid ?? claims.sub;
  const base = `${token.tokenType}, expires in ${token.expiresIn} s; agent ${String(agentId)}`;
  if (vendor === 'entraid') {
    const assertion = token.actAssertion ? (decodeJwt(token.actAssertion) as { act?: { sub?: string } }) : undefined;
    return `${base}; human ${String(assertion?.act?.sub)} in the act assertion (X-Act-Assertion)`;
  }
  const act = claims.act as { sub?: string } | undefined;
  return `${base}; act.sub ${String(act?.sub)}`;
}
