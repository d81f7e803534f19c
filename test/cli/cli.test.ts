/**
 * The `dual-auth` CLI in-process (runCli with a captured io): the demo for every
 * vendor profile (in-session and out-of-session through the real adapters),
 * keygen, token, dev-iam's .env, usage errors; and once as a real process
 * through its entry point, to prove it exits by itself with the right code.
 */
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

import { importPKCS8, importSPKI } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runDemo } from '../../src/cli/demo/run-demo.js';
import { startDevIam } from '../../src/cli/commands/dev-iam.js';
import { runCli } from '../../src/cli/program.js';
import { startLocalIam, type LocalIam, type LocalIamVendor } from '../../src/local-iam/index.js';
import { HybridSender } from '../../src/session/hybrid-sender.js';
import { OutOfSessionTokenRequest } from '../../src/session/out-of-session.js';
import { captureIo } from './capture.js';

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dual-auth-cli-test-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.each<LocalIamVendor>(['keycloak', 'auth0', 'okta', 'entraid'])('demo, %s profile', (vendor) => {
  it('runs the in-session and the out-of-session flow end-to-end and prints numbered steps', async () => {
    const io = captureIo({}, work);
    const result = await runDemo({ vendor }, io);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const titles = result.steps.map((s) => `${s.flow}: ${s.step}`);
    expect(titles).toEqual(expect.arrayContaining([
      'in-session: Dual-subject token issued',
      'in-session: API accepted the call',
      'out-of-session: Application signed the act JWT',
      'out-of-session: Agent verified the act JWT',
      'out-of-session: Agent obtained a dual-subject token',
      "out-of-session: API accepted the agent's call",
      'out-of-session: Replayed act JWT refused',
      'check: API refused a call without a token',
    ]));
    const accepted = result.steps.filter((s) => s.step.startsWith('API accepted'));
    for (const s of accepted) expect(s.detail).toContain('finance-agent');
    for (const s of accepted) expect(s.detail).toContain('user_12345');
    const text = io.all();
    expect(text).toMatch(/^ 1\. Local IAM started/m);
    expect(text).toContain('✓ DEMO PASSED');
    // Never a raw token, the email or the name on screen.
    expect(text).not.toMatch(JWT);
    expect(text).not.toMatch(/alice@corp\.example\.com|Alice Smith/);
  });
});

describe.each<LocalIamVendor>(['keycloak', 'auth0', 'okta', 'entraid'])('demo --delegation token-exchange, %s profile', (vendor) => {
  it("exchanges the person's own token and the API reads the delegated layout; the agent cannot do more", async () => {
    const io = captureIo({}, work);
    const result = await runDemo({ vendor, delegation: 'token-exchange' }, io);
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ ok: true, vendor, delegation: 'token-exchange' });
    const titles = result.steps.map((s) => `${s.flow}: ${s.step}`);
    expect(titles).toEqual([
      'setup: Local IAM started (oidc-provider)',
      'setup: Demo API started',
      'in-session: User signed in to the web app',
      'in-session: IAM adapter created',
      'in-session: The IAM exchanged the token',
      'in-session: API accepted the call',
      "check: API refused the person's own login token",
      "check: IAM refused to exchange another app's token",
      'check: API refused a call without a token',
    ]);
    const accepted = result.steps.find((s) => s.step === 'API accepted the call')!;
    expect(accepted.detail).toBe('HTTP 200: agent finance-agent acting for user_12345 (layout delegated)');
    const text = io.all();
    expect(text).toContain('✓ DEMO PASSED');
    expect(text).not.toMatch(JWT);
    expect(text).not.toMatch(/alice@corp\.example\.com|Alice Smith/);
  });
});

describe.each<LocalIamVendor>(['keycloak', 'auth0', 'okta', 'entraid'])('demo --delegation assertion, %s profile', (vendor) => {
  it("the application signs the person for the API, the agent forwards it; the agent cannot invent a person", async () => {
    const io = captureIo({}, work);
    const result = await runDemo({ vendor, delegation: 'assertion' }, io);
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ ok: true, vendor, delegation: 'assertion' });
    const titles = result.steps.map((s) => `${s.flow}: ${s.step}`);
    expect(titles).toEqual([
      'setup: Local IAM started (oidc-provider)',
      'setup: Demo API started',
      'out-of-session: User signed in to the application',
      'out-of-session: Remote agent started',
      'out-of-session: Application signed the act assertion',
      'out-of-session: Application sent it to the agent over HTTPS',
      'out-of-session: Agent checked the act assertion',
      'out-of-session: Agent obtained its own token (client credentials, no person in it)',
      'out-of-session: Agent called the API',
      "out-of-session: API accepted the agent's call",
      "check: API refused the agent's own token without an assertion",
      'check: API refused an assertion the agent signed itself (a person it invented)',
      "check: API refused the application's assertion for another agent",
      'check: Replayed delivery refused by the agent',
      'check: API refused a call without a token',
    ]);
    const accepted = result.steps.find((s) => s.step === "API accepted the agent's call")!;
    expect(accepted.detail).toBe("agent finance-agent acting for user_12345 (layout assertion: the person from the application's assertion)");
    const text = io.all();
    expect(text).toContain('✓ DEMO PASSED');
    expect(text).not.toMatch(JWT);
    expect(text).not.toMatch(/alice@corp\.example\.com|Alice Smith/);
  });
});

describe('dual-auth demo (command)', () => {
  it('--json prints one document; an unknown vendor is a usage error', async () => {
    const io = captureIo({}, work);
    expect(await runCli(['demo', '--vendor', 'okta', '--json'], io)).toBe(0);
    const doc = JSON.parse(io.stdoutText());
    expect(doc).toMatchObject({ ok: true, vendor: 'okta' });
    expect(doc.steps.length).toBeGreaterThan(10);

    const bad = captureIo({}, work);
    expect(await runCli(['demo', '--vendor', 'ping'], bad)).not.toBe(0);
    expect(bad.all()).toContain('Allowed choices are keycloak, auth0, okta, entraid');

    const exchange = captureIo({}, work);
    expect(await runCli(['demo', '--vendor', 'auth0', '--delegation', 'token-exchange', '--json'], exchange)).toBe(0);
    expect(JSON.parse(exchange.stdoutText())).toMatchObject({ ok: true, vendor: 'auth0', delegation: 'token-exchange' });
    const unknown = captureIo({}, work);
    expect(await runCli(['demo', '--delegation', 'impersonation'], unknown)).not.toBe(0);
    expect(unknown.all()).toContain('Allowed choices are act, token-exchange, assertion');
  });
});

describe('dual-auth keygen', () => {
  it('writes an RS256-usable pair, private key mode 0600, and refuses to overwrite', async () => {
    const dir = join(work, 'keys');
    const io = captureIo({}, work);
    expect(await runCli(['keygen', '--out', dir], io)).toBe(0);
    const privatePath = join(dir, 'app-private-key.pem');
    const publicPath = join(dir, 'app-public-key.pem');
    expect(statSync(privatePath).mode & 0o777).toBe(0o600);
    const privateKey = await importPKCS8(readFileSync(privatePath, 'utf8'), 'RS256', { extractable: true });
    const publicKey = await importSPKI(readFileSync(publicPath, 'utf8'), 'RS256', { extractable: true });
    expect((privateKey as { algorithm: unknown }).algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 });
    expect((publicKey as { algorithm: unknown }).algorithm).toMatchObject({ modulusLength: 2048 });
    expect(io.all()).not.toContain('PRIVATE KEY');

    const again = captureIo({}, work);
    expect(await runCli(['keygen', '--out', dir], again)).toBe(1);
    expect(again.all()).toContain('already exists');
    expect(readFileSync(privatePath, 'utf8')).toContain('PRIVATE KEY');
    expect(await runCli(['keygen', '--out', dir, '--force', '--json'], captureIo({}, work))).toBe(0);
  });

  it.each([
    ['ES256', 'ec'],
    ['EdDSA', 'ed25519'],
  ] as const)('--alg %s writes a key pair HybridSender signs with and the verifier accepts', async (alg, type) => {
    const dir = join(work, `keys-${alg}`);
    const io = captureIo({}, work);
    expect(await runCli(['keygen', '--out', dir, '--alg', alg, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdoutText())).toMatchObject({ ok: true, algorithm: alg });
    const privatePath = join(dir, 'app-private-key.pem');
    const publicPem = readFileSync(join(dir, 'app-public-key.pem'), 'utf8');
    expect(statSync(privatePath).mode & 0o777).toBe(0o600);
    expect(createPublicKey(publicPem).asymmetricKeyType).toBe(type);
    const sender = new HybridSender({ privateKeyPem: privatePath, algorithm: alg });
    const assertion = await sender.prepareActAssertion({ act: { sub: 'u1' }, agentId: 'finance-agent', apiAudience: 'https://api.example.test' });
    const agent = new OutOfSessionTokenRequest({ adapter: { requestToken: async () => undefined } as never, appPublicKey: publicPem, algorithms: [alg] });
    expect(await agent.receiveAndVerifyActJwt({ actJwt: await sender.prepareOutOfSessionAct({ act: { sub: 'u1' }, agentEndpoint: 'https://agent.example.test' }), expectedAudience: 'https://agent.example.test' })).toEqual({ sub: 'u1' });
    expect(assertion.split('.')).toHaveLength(3);
  });

  it('--alg refuses anything else', async () => {
    const io = captureIo({}, work);
    expect(await runCli(['keygen', '--out', join(work, 'keys-hs'), '--alg', 'HS256'], io)).not.toBe(0);
    expect(io.all()).toContain('Allowed choices are RS256, ES256, EdDSA');
  });
});

describe('dual-auth token and dev-iam', () => {
  let iam: LocalIam;
  beforeAll(async () => {
    iam = await startLocalIam({ vendor: 'auth0' });
  });
  afterAll(async () => {
    await iam?.close();
  });

  it('token prints the decoded claims with the act of the given user, never the token', async () => {
    const io = captureIo(iam.env, work);
    expect(await runCli(['token', '--user-id', 'u42', '--email', 'bob@example.com', '--scope', 'finance.read', '--json'], io)).toBe(0);
    const doc = JSON.parse(io.stdoutText());
    expect(doc.claims).toMatchObject({ azp: 'finance-agent', sub: 'finance-agent@clients', act: { sub: 'u42', email: 'bob@example.com' } });
    expect(io.all()).not.toMatch(JWT);
    expect(io.all()).not.toContain(iam.agent.clientSecret);
  });

  it('token explains a 401 and exits 1', async () => {
    const io = captureIo({ ...iam.env, AGENT_CLIENT_SECRET: 'wrong-secret-0123456789-abcdefghijkl' }, work);
    expect(await runCli(['token', '--email', 'bob@example.com'], io)).toBe(1);
    expect(io.all()).toContain("The IAM refused the agent's credentials (HTTP 401).");
  });

  it('dev-iam writes a 0600 .env that doctor reads with --env-file', async () => {
    const dir = mkdtempSync(join(work, 'dev-'));
    // A file an earlier dev-iam wrote is stale once that process ended: it is replaced.
    writeFileSync(join(dir, '.env'), '# Written by `dual-auth dev-iam --vendor keycloak` at 2026-01-01T00:00:00.000Z.\nAGENT_CLIENT_SECRET=stale\n');
    const handle = await startDevIam({ vendor: 'okta' }, captureIo({}, dir));
    try {
      const envPath = join(dir, '.env');
      expect(handle.envFile).toBe(envPath);
      expect(statSync(envPath).mode & 0o777).toBe(0o600);
      const env = parseEnv(readFileSync(envPath, 'utf8')) as Record<string, string>;
      expect(env).toMatchObject({ DUAL_AUTH_VENDOR: 'okta', AGENT_CLIENT_ID: 'finance-agent', API_AUDIENCE: 'https://api.local.test/finance' });
      expect(env.API_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/finance\/report$/);
      // An empty process environment: everything comes from .env, including the CA file.
      const io = captureIo({}, dir);
      expect(await runCli(['doctor', '--env-file', '.env', '--request-token'], io)).toBe(0);
      expect(io.all()).toContain('"cid": "finance-agent"');
      expect(io.all()).not.toContain(env.AGENT_CLIENT_SECRET as string);
    } finally {
      await handle.stop();
    }
  });

  it("dev-iam does not replace a .env it did not write (the project's own, a copy of .env.example)", async () => {
    const dir = mkdtempSync(join(work, 'dev-'));
    const own = 'DUAL_AUTH_VENDOR=keycloak\nMY_APP_SETTING=keep\n';
    writeFileSync(join(dir, '.env'), own);
    const io = captureIo({}, dir);
    expect(await runCli(['dev-iam', '--vendor', 'okta'], io)).toBe(1);
    expect(io.all()).toContain(`${join(dir, '.env')} exists and was not written by dual-auth dev-iam: not replacing it. Name another file with --dotenv`);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(own);
  });

  it('dev-iam (command) prints where things are and stops when interrupted', async () => {
    const dir = mkdtempSync(join(work, 'dev-'));
    const io = captureIo({}, dir);
    expect(await runCli(['dev-iam', '--vendor', 'entraid', '--dotenv', 'local.env'], io)).toBe(0);
    const text = io.all();
    expect(text).toContain('Local IAM (entraid profile) and demo API are running.');
    expect(text).toContain(join(dir, 'local.env'));
    expect(text).toContain('Stopped.');
    const env = parseEnv(readFileSync(join(dir, 'local.env'), 'utf8')) as Record<string, string>;
    expect(text).not.toContain(env.AGENT_CLIENT_SECRET as string);
  });

  it('an --env-file that does not exist is reported, not ignored (also under its 1.0.0 name --dotenv)', async () => {
    for (const flag of ['--env-file', '--dotenv']) {
      const io = captureIo({}, work);
      expect(await runCli(['doctor', flag, 'missing.env'], io)).toBe(1);
      expect(io.all()).toContain(`The env file ${join(work, 'missing.env')} does not exist`);
    }
  });
});

describe('the dual-auth entry point as a process', () => {
  it('npm run demo equivalent exits 0 by itself and prints the steps', async () => {
    const started = Date.now();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--vendor', 'entraid'], {
        cwd: join(import.meta.dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve({ code: exitCode, stdout: out });
      });
    });
    expect(stdout).toContain('✓ DEMO PASSED');
    expect(code).toBe(0);
    expect(stdout).not.toContain('oidc-provider WARNING');
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 40_000);
});
