/**
 * The examples, end to end, as a user runs them: each example is a child
 * process (`node --import tsx examples/...`) started with the environment that
 * `npm run dev-iam` writes, against the embedded local IAM (real oidc-provider
 * over HTTPS on 127.0.0.1) and the example finance API (dual-auth/express).
 * One test CA signs the IAM's and the example servers' certificates; the
 * children trust it through NODE_EXTRA_CA_CERTS; no certificate check is off.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HybridSender } from '../../src/index.js';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';
import { startLocalIam, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Two vendors keep `npm test` short (the client-assertion family and Entra's hybrid);
// EXAMPLES_VENDORS=keycloak,auth0,okta,entraid runs them all.
const VENDORS = (process.env.EXAMPLES_VENDORS ?? 'keycloak,entraid').split(',').map((vendor) => vendor.trim()) as LocalIamVendor[];
const ADAPTER_CLASS: Record<LocalIamVendor, string> = { keycloak: 'KeycloakAdapter', auth0: 'Auth0Adapter', okta: 'OktaAdapter', entraid: 'EntraIDAdapter' };
/** The local IAM's default token lifetimes, as each vendor's. */
const EXPIRES_IN: Record<LocalIamVendor, number> = { keycloak: 300, auth0: 86_400, okta: 3600, entraid: 3599 };
/** Which finance API variant guards the API: both middlewares get an end-to-end run. */
const FINANCE_API: Record<LocalIamVendor, string> = {
  keycloak: 'examples/finance-api/server.ts',
  auth0: 'examples/finance-api/fastify-server.ts',
  okta: 'examples/finance-api/server.ts',
  entraid: 'examples/finance-api/fastify-server.ts',
};
// A tsx process loading the example on a loaded 2-core machine (mutation testing, parallel suites) took over 20 s.
const SERVER_START_TIMEOUT_MS = 45_000;
// The same for a script run to its end (tsx start-up is most of it); the guard is against a hang, not a speed test.
const SCRIPT_TIMEOUT_MS = 60_000;
// A test runs up to four scripts, or starts servers and runs one: its own timeout stays above theirs,
// so a slow script reports its output (runScript's error) instead of vitest's bare timeout.
vi.setConfig({ testTimeout: 4 * SCRIPT_TIMEOUT_MS + 30_000, hookTimeout: 2 * SERVER_START_TIMEOUT_MS });
const SERVICE_TOKEN = 'examples-test-service-token-0123456789';
const USER = { id: 'user_12345', email: 'alice@corp.example.com', name: 'Alice Smith' };
/** Three base64url segments starting like a JSON header: any JWT. */
const JWT_PATTERN = /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}/;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunningExample {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Runs an example script to its end; never hangs past `timeoutMs`. */
function runScript(file: string, env: Record<string, string>, timeoutMs = SCRIPT_TIMEOUT_MS, args: string[] = []): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts an example server; resolves with its URL once it prints "listening on <url>", fails with its output otherwise. */
function startServer(file: string, env: Record<string, string>): Promise<RunningExample> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let started = false;
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not start within ${SERVER_START_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, SERVER_START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (https:\/\/\S+)/.exec(stdout);
      if (match && !started) {
        started = true;
        clearTimeout(timer);
        resolvePromise({ url: match[1]!, output: () => stdout + stderr, stop });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${file} exited with code ${code} before listening\n${stdout}\n${stderr}`));
    });
  });
}

/** A free port on 127.0.0.1 (for the remote agent, whose URL is also the act JWT audience). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/** Nothing a child printed or logged may hold the secret, a token, the email or the name. */
function expectNoSecrets(output: string, iam: LocalIam): void {
  expect(output).not.toContain(iam.agent.clientSecret);
  expect(output).not.toContain(USER.email);
  expect(output).not.toContain(USER.name);
  expect(output).not.toMatch(JWT_PATTERN);
}

for (const vendor of VENDORS) {
  // Concurrent: the tests share the servers but not state; most of their time is child start-up and I/O.
  describe.concurrent(`examples against the local IAM (${vendor})`, () => {
    let iam: LocalIam;
    let certificates: DevCertificates;
    let dir: string;
    let env: Record<string, string>;
    let financeApi: RunningExample;
    let expressApp: RunningExample;
    let fastifyService: RunningExample;
    let remoteAgent: RunningExample;
    let agentEndpoint: string;
    let client: Agent;
    const servers: RunningExample[] = [];

    beforeAll(async () => {
      certificates = await createDevCertificates();
      iam = await startLocalIam({ vendor, certificates });
      dir = await mkdtemp(join(tmpdir(), 'dual-auth-examples-'));
      await writeFile(join(dir, 'server.pem'), certificates.cert);
      await writeFile(join(dir, 'server-key.pem'), certificates.key, { mode: 0o600 });
      client = new Agent({ connect: { ca: certificates.caCert } });
      const [apiPort, agentPort] = await Promise.all([freePort(), freePort()]);
      agentEndpoint = `https://127.0.0.1:${agentPort}/invoke`;

      // What `npm run dev-iam` writes to .env, plus the example servers' TLS files.
      // ENV_FILE points nowhere: a developer's own .env in the repo must not leak in.
      env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        ENV_FILE: join(dir, 'no.env'),
        LOG_LEVEL: 'info',
        ...iam.env,
        DUAL_AUTH_ISSUER: iam.issuer,
        DUAL_AUTH_JWKS_URI: iam.jwksUri,
        DUAL_AUTH_AUDIENCE: iam.apiAudience,
        API_URL: `https://127.0.0.1:${apiPort}/finance/report`,
        AGENT_ENDPOINT: agentEndpoint,
        AGENT_SERVICE_TOKEN: SERVICE_TOKEN,
        SESSION_SECRET: 'examples-test-session-secret-0123456789',
        TLS_CERT_PATH: join(dir, 'server.pem'),
        TLS_KEY_PATH: join(dir, 'server-key.pem'),
      };
      const started = await Promise.allSettled([
        startServer(FINANCE_API[vendor], { ...env, PORT: String(apiPort) }),
        startServer('examples/in-session-express/server.ts', { ...env, PORT: '0' }),
        startServer('examples/fastify-service/server.ts', { ...env, PORT: '0' }),
        startServer('examples/out-of-session/remote-agent.ts', env),
      ]);
      for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      [financeApi, expressApp, fastifyService, remoteAgent] = servers as [RunningExample, RunningExample, RunningExample, RunningExample];
    });

    afterAll(async () => {
      await Promise.allSettled(servers.map((server) => server.stop()));
      await client?.close();
      await iam?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
      for (const server of servers) expectNoSecrets(server.output(), iam);
    });

    it('test-in-session.ts prints the guide steps and passes', async () => {
      const { code, stdout, stderr } = await runScript('examples/test-in-session.ts', env);
      expect(code, stdout + stderr).toBe(0);
      for (const line of [
        'dual-auth In-Session Flow Test',
        '1. Simulating authenticated user...',
        `   ✓ User: ${USER.id}`,
        '2. Extracting human identity (act)...',
        "   ✓ Act extracted with fields: ['sub', 'email', 'name']",
        '3. Configuring IAM adapter...',
        `   Vendor: ${vendor}`,
        `   ✓ Adapter created: ${ADAPTER_CLASS[vendor]}`,
        '4. Creating in-session token request handler...',
        '   ✓ Handler created',
        '5. Requesting dual-subject token...',
        '   ✓ Token received successfully',
        '   Token type: Bearer',
        `   Expires in: ${EXPIRES_IN[vendor]} seconds`,
        '6. Calling the API with the dual-subject token...',
        '   ✓ API answered HTTP 200',
        '✓ IN-SESSION FLOW TEST PASSED',
      ]) {
        expect(stdout.split('\n')).toContain(line);
      }
      expect(stdout.includes('✓ Act assertion included (EntraID hybrid)')).toBe(vendor === 'entraid');
      // The library's events reached the example's logger (stderr), identifiers only.
      expect(stderr).toContain('"event":"token_request_success"');
      expectNoSecrets(stdout + stderr, iam);
    });

    it('test-out-of-session.ts prints the guide steps and passes', async () => {
      const { code, stdout, stderr } = await runScript('examples/test-out-of-session.ts', env);
      expect(code, stdout + stderr).toBe(0);
      for (const line of [
        'dual-auth Out-of-Session Flow Test',
        '[APPLICATION SIDE]',
        '1. Simulating authenticated user...',
        '2. Creating signed act JWT...',
        '   ✓ Act JWT created (expires in 60 seconds)',
        '[AGENT SIDE]',
        '3. Configuring IAM adapter...',
        `   Vendor: ${vendor}`,
        '4. Creating out-of-session token request handler...',
        '5. Verifying act JWT...',
        '   ✓ JWT signature verified',
        '   ✓ Act extracted from JWT',
        '6. Requesting dual-subject token...',
        '   ✓ Token received successfully',
        '7. Calling the API with the dual-subject token...',
        '   ✓ API answered HTTP 200',
        '✓ OUT-OF-SESSION FLOW TEST PASSED',
      ]) {
        expect(stdout.split('\n')).toContain(line);
      }
      expect(stderr).toContain('"event":"jwt_verified"');
      expectNoSecrets(stdout + stderr, iam);
    });

    it('test-in-session.ts fails with exit code 1 and the failure step when the IAM refuses the agent', async () => {
      const { code, stdout, stderr } = await runScript('examples/test-in-session.ts', { ...env, AGENT_CLIENT_SECRET: 'not-the-secret-of-this-agent' });
      expect(code).toBe(1);
      expect(stdout).toMatch(/ {3}✗ Token request failed: .+/);
      expect(stdout).toContain('✗ IN-SESSION FLOW TEST FAILED');
      expect(stdout).not.toContain('PASSED');
      expectNoSecrets(stdout + stderr, iam);
    });

    it(`the finance API (${FINANCE_API[vendor]}) refuses a request without a dual-subject token`, async () => {
      const response = await fetch(`${financeApi.url}/finance/report`, { dispatcher: client });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('in-session Express app: login session -> act -> token -> finance API', async () => {
      const anonymous = await fetch(`${expressApp.url}/api/agent/analyze-finances`, { method: 'POST', dispatcher: client });
      expect(anonymous.status).toBe(401);

      const login = await fetch(`${expressApp.url}/login`, { method: 'POST', dispatcher: client });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')?.split(';')[0];
      expect(cookie).toMatch(/^demo_session=/);
      const headers = { cookie: cookie! };

      const dashboard = await fetch(`${expressApp.url}/dashboard`, { headers, dispatcher: client });
      expect(await dashboard.json()).toEqual({ humanId: USER.id, actFields: ['sub', 'email', 'name'] });

      const task = await fetch(`${expressApp.url}/agent-task`, { headers, dispatcher: client });
      expect(await task.json()).toMatchObject({ status: 'success', token_type: 'Bearer' });

      const analysis = await fetch(`${expressApp.url}/api/agent/analyze-finances`, { method: 'POST', headers, dispatcher: client });
      expect(analysis.status).toBe(200);
      expect(await analysis.json()).toEqual({ total_assets: 475_000, total_liabilities: 95_000, net_worth: 380_000 });

      const summary = await fetch(`${expressApp.url}/api/agent/quarterly-summary`, { method: 'POST', headers, dispatcher: client });
      expect(await summary.json()).toMatchObject({ success: true, summary: { net_income: 420_000 } });

      // A tampered cookie is no session.
      const forged = await fetch(`${expressApp.url}/api/agent/analyze-finances`, {
        method: 'POST',
        headers: { cookie: `${cookie!.slice(0, -2)}xx` },
        dispatcher: client,
      });
      expect(forged.status).toBe(401);

      const health = await fetch(`${expressApp.url}/health`, { dispatcher: client });
      expect(await health.json()).toEqual({ status: 'healthy', config_loaded: true });
      const ready = await fetch(`${expressApp.url}/ready`, { dispatcher: client });
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true });
    });

    it('Fastify agent service: bearer-guarded task -> token -> finance API', async () => {
      const body = JSON.stringify({ user_email: USER.email, user_name: USER.name, user_id: USER.id, task: 'finance-report' });
      const json = { 'content-type': 'application/json' };
      const noBearer = await fetch(`${fastifyService.url}/api/agent/task`, { method: 'POST', headers: json, body, dispatcher: client });
      expect(noBearer.status).toBe(403);
      const wrongBearer = await fetch(`${fastifyService.url}/api/agent/task`, {
        method: 'POST',
        headers: { ...json, authorization: 'Bearer wrong' },
        body,
        dispatcher: client,
      });
      expect(wrongBearer.status).toBe(401);

      const headers = { ...json, authorization: `Bearer ${SERVICE_TOKEN}` };
      const report = await fetch(`${fastifyService.url}/api/agent/task`, { method: 'POST', headers, body, dispatcher: client });
      expect(report.status).toBe(200);
      // The API verified both subjects: the agent (the token's client) and the human (act / X-Act-Assertion).
      expect(await report.json()).toEqual({
        status: 'success',
        task: 'finance-report',
        result: { apiStatus: 200, quarter: 'Q4', net_income: 420_000, api_saw: { agent: 'finance-agent', human: USER.id } },
      });

      const transaction = await fetch(`${fastifyService.url}/api/agent/task`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ user_email: USER.email, user_name: USER.name, user_id: USER.id, task: 'create-transaction', parameters: { amount: 1000 } }),
        dispatcher: client,
      });
      expect(await transaction.json()).toMatchObject({ status: 'success', result: { apiStatus: 201 } });

      const invalid = await fetch(`${fastifyService.url}/api/agent/task`, { method: 'POST', headers, body: JSON.stringify({ task: 'finance-report' }), dispatcher: client });
      expect(invalid.status).toBe(400);
    });

    it('out-of-session pair: application signs and POSTs the act JWT, remote agent verifies it (signature, audience, replay) and calls the API', async () => {
      expect(remoteAgent.url).toBe(new URL(agentEndpoint).origin);
      const { code, stdout, stderr } = await runScript('examples/out-of-session/application.ts', env);
      expect(code, stdout + stderr).toBe(0);
      expect(stdout).toContain('Agent task completed: {"status":"success","message":"Agent task completed","api_status":200');
      // The API verified both subjects: the agent and the human the application signed for.
      expect(stdout).toContain(`"api_saw":{"agent":"finance-agent","human":"${USER.id}"}`);
      expectNoSecrets(stdout + stderr, iam);

      // A forged JWT is refused with 401, a missing one with 400.
      const json = { 'content-type': 'application/json' };
      const forged = await fetch(agentEndpoint, { method: 'POST', headers: json, body: JSON.stringify({ act_jwt: 'a.b.c' }), dispatcher: client });
      expect(forged.status).toBe(401);
      expect(await forged.json()).toMatchObject({ code: 'ERR_ACT_INVALID' });
      const missing = await fetch(agentEndpoint, { method: 'POST', headers: json, body: '{}', dispatcher: client });
      expect(missing.status).toBe(400);

      // One act JWT, sent twice: the agent's replay cache refuses the second.
      const sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
      const actJwt = await sender.prepareOutOfSessionAct({ act: { sub: USER.id }, agentEndpoint, ttlSeconds: 60 });
      const body = JSON.stringify({ act_jwt: actJwt });
      const first = await fetch(agentEndpoint, { method: 'POST', headers: json, body, dispatcher: client });
      expect(first.status).toBe(200);
      const replayed = await fetch(agentEndpoint, { method: 'POST', headers: json, body, dispatcher: client });
      expect(replayed.status).toBe(401);
      expect(await replayed.json()).toEqual({ error: 'JWT verification failed: Act JWT replay detected', code: 'ERR_ACT_REPLAY' });

      // A JWT signed for another agent is refused.
      const elsewhere = await sender.prepareOutOfSessionAct({ act: { sub: USER.id }, agentEndpoint: 'https://other-agent.example/invoke', ttlSeconds: 60 });
      const wrongAudience = await fetch(agentEndpoint, { method: 'POST', headers: json, body: JSON.stringify({ act_jwt: elsewhere }), dispatcher: client });
      expect(wrongAudience.status).toBe(401);
      expect(await wrongAudience.json()).toMatchObject({ code: 'ERR_ACT_AUDIENCE' });
    });
  });
}

describe.concurrent('the guide steps that need no IAM', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dual-auth-examples-'));
    env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, ENV_FILE: join(dir, 'no.env'), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('Step 1.4: verify-install.ts finds every public name', async () => {
    const { code, stdout } = await runScript('examples/verify-install.ts', env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^✅ dual-auth v\d+\.\d+\.\d+ installed successfully$/m);
  });

  it('Step 2.3: load-config.ts loads a configuration, and reports each kind of error with exit code 1', async () => {
    const keycloak = {
      ...env,
      DUAL_AUTH_VENDOR: 'keycloak',
      KEYCLOAK_TOKEN_URL: 'https://iam.example.com/realms/prod/protocol/openid-connect/token',
      AGENT_CLIENT_ID: 'finance-agent',
      AGENT_CLIENT_SECRET: 'load-config-test-secret-value',
    };
    const [ok, missing, insecure, okta] = await Promise.all([
      runScript('examples/load-config.ts', keycloak),
      runScript('examples/load-config.ts', { ...keycloak, AGENT_CLIENT_ID: '' }),
      runScript('examples/load-config.ts', { ...keycloak, KEYCLOAK_TOKEN_URL: 'http://iam.example.com/token' }),
      // Pattern 2: an explicit vendor wins over DUAL_AUTH_VENDOR.
      runScript('examples/load-config.ts', keycloak, SCRIPT_TIMEOUT_MS, ['okta']),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Configuration loaded successfully');
    expect(ok.stdout).toContain('Token URL: https://iam.example.com/realms/prod/protocol/openid-connect/token');
    expect(ok.stdout).toContain('Client ID: finance-agent');
    expect(ok.stdout).toContain('Adapter: KeycloakAdapter');
    expect(ok.stdout).not.toContain(keycloak.AGENT_CLIENT_SECRET);

    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("Secrets backend error (environment): Environment variable 'AGENT_CLIENT_ID' is required");

    expect(insecure.code).toBe(1);
    expect(insecure.stdout).toMatch(/^Configuration error: .*HTTPS/m);

    expect(okta.code).toBe(1);
    expect(okta.stdout).toContain("Environment variable 'OKTA_TOKEN_URL' is required");
  });

  it('Step 4: extract-act.ts builds the act from a UserSession, a session dict and OIDC claims (keeping oid)', async () => {
    const { code, stdout } = await runScript('examples/extract-act.ts', env);
    expect(code).toBe(0);
    expect(stdout).toContain('UserSession: act.sub=user_12345 fields=[sub, email, name]');
    expect(stdout).toContain('session dict: act.sub=user_12345 fields=[sub, email, name]');
    expect(stdout).toContain('fields=[sub, email, name, oid]');
    expect(stdout).toContain('oid kept: true');
    expect(stdout).not.toContain(USER.email);
  });

  it('Step 7.2: generate-keys.ts writes an RSA pair (private key 0600) and never overwrites it', async () => {
    const first = await runScript(`examples/generate-keys.ts`, env, SCRIPT_TIMEOUT_MS, [join(dir, 'keys')]);
    expect(first.code, first.stdout).toBe(0);
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const { readFile, stat } = await import('node:fs/promises');
    const privateKey = createPrivateKey(await readFile(join(dir, 'keys', 'app-private-key.pem'), 'utf8'));
    const publicKey = createPublicKey(await readFile(join(dir, 'keys', 'app-public-key.pem'), 'utf8'));
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(privateKey).export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
    expect((await stat(join(dir, 'keys', 'app-private-key.pem'))).mode & 0o777).toBe(0o600);

    const again = await runScript(`examples/generate-keys.ts`, env, SCRIPT_TIMEOUT_MS, [join(dir, 'keys')]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('already exists; not overwritten');
  });
});
