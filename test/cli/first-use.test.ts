/**
 * What a first-time user meets (issue 10): keygen never writes a key through a
 * planted symlink; doctor and token read a .env only when asked; every command
 * the CLI prints works where the user is (a clone, an installed project, a global
 * install); missing optional peers are named all at once.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startDevIam, type DevIamHandle } from '../../src/cli/commands/dev-iam.js';
import { cliInvocation } from '../../src/cli/invocation.js';
import { runCli } from '../../src/cli/program.js';
import { VERSION } from '../../src/version.js';
import { captureIo } from './capture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'dual-auth-first-use-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('keygen never writes a key through a symlink (item 9)', () => {
  for (const file of ['app-private-key.pem', 'app-public-key.pem']) {
    it(`a dangling symlink named ${file} in --out is refused, with and without --force; nothing is written elsewhere`, async () => {
      const dir = mkdtempSync(join(work, 'keys-'));
      const elsewhere = join(work, `stolen-${file}`);
      symlinkSync(elsewhere, join(dir, file));
      for (const args of [[], ['--force']]) {
        const io = captureIo({}, work);
        expect(await runCli(['keygen', '--out', dir, ...args], io)).toBe(1);
        expect(io.all()).toContain(`${join(dir, file)} is a symbolic link; a key is never written through one.`);
        expect(existsSync(elsewhere)).toBe(false);
        expect(lstatSync(join(dir, file)).isSymbolicLink()).toBe(true);
      }
      // Neither key was written beside the link either.
      const other = file === 'app-private-key.pem' ? 'app-public-key.pem' : 'app-private-key.pem';
      expect(existsSync(join(dir, other))).toBe(false);
    });
  }

  it('folders it creates are 0700; the private key 0600, the public key 0644', async () => {
    const dir = join(work, 'made', 'for', 'keys');
    expect(await runCli(['keygen', '--out', dir], captureIo({}, work))).toBe(0);
    for (const folder of [join(work, 'made'), join(work, 'made', 'for'), dir]) expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'app-private-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'app-public-key.pem')).mode & 0o777).toBe(0o644);
    // --force replaces regular files in place, keeping the modes.
    expect(await runCli(['keygen', '--out', dir, '--force'], captureIo({}, work))).toBe(0);
    expect(statSync(join(dir, 'app-private-key.pem')).mode & 0o777).toBe(0o600);
  });
});

describe('doctor and token read a .env only when asked (item 10)', () => {
  let handle: DevIamHandle;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(work, 'dotenv-'));
    // A complete, working .env in the working folder.
    handle = await startDevIam({ vendor: 'keycloak' }, captureIo({}, dir));
  });
  afterAll(async () => handle?.stop());

  it('without --env-file, a .env in the working folder is ignored, and the user is told how to use it', async () => {
    const doctor = captureIo({}, dir);
    expect(await runCli(['doctor'], doctor)).toBe(1);
    expect(doctor.all()).toContain(`Note: ${join(dir, '.env')} was not read. To use it: --env-file .env`);
    expect(doctor.all()).toContain('✗ configuration');
    expect(doctor.all()).toContain('The variable KEYCLOAK_TOKEN_URL is missing');

    const token = captureIo({}, dir);
    expect(await runCli(['token', '--email', 'bob@example.com'], token)).toBe(1);
    expect(token.all()).toContain('was not read');
  });

  it('with --env-file it is read', async () => {
    const io = captureIo({}, dir);
    expect(await runCli(['doctor', '--env-file', '.env'], io)).toBe(0);
    expect(io.all()).toContain('✓ configuration: vendor keycloak');
  });

  it('at a terminal the user is asked first, and the answer decides', async () => {
    for (const answer of [true, false]) {
      const questions: string[] = [];
      const io = { ...captureIo({}, dir), confirm: async (question: string) => (questions.push(question), answer) };
      expect(await runCli(['doctor'], io)).toBe(answer ? 0 : 1);
      expect(questions).toEqual([`Read the variables in ${join(dir, '.env')}? It sets which IAM this command talks to and which CA it trusts.`]);
    }
  });
});

describe('printed commands work where the user is (item 16)', () => {
  function folder(name: string): string {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  it('in a clone of this repository: npm run dual-auth --', () => {
    expect(cliInvocation({ cwd: root, env: {} })).toBe('npm run dual-auth --');
    expect(cliInvocation({ cwd: join(root, 'examples'), env: {} })).toBe('npm run dual-auth --');
  });

  it('in a project that installed the package (here or above): npx dual-auth', () => {
    const project = folder('project');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-agent', dependencies: { 'dual-auth': '^1.0.0' } }));
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(project, 'node_modules', '.bin', 'dual-auth'), '#!/usr/bin/env node\n');
    chmodSync(join(project, 'node_modules', '.bin', 'dual-auth'), 0o755);
    expect(cliInvocation({ cwd: project, env: {} })).toBe('npx dual-auth');
    expect(cliInvocation({ cwd: folder('project/src/agents'), env: {} })).toBe('npx dual-auth');
  });

  it('a global install (dual-auth on PATH): dual-auth; otherwise this version from the registry', () => {
    const bin = folder('global-bin');
    writeFileSync(join(bin, 'dual-auth'), '#!/usr/bin/env node\n');
    chmodSync(join(bin, 'dual-auth'), 0o755);
    const elsewhere = folder('elsewhere');
    expect(cliInvocation({ cwd: elsewhere, env: { PATH: `/nonexistent:${bin}` } })).toBe('dual-auth');
    expect(cliInvocation({ cwd: elsewhere, env: { PATH: '/nonexistent' } })).toBe(`npx dual-auth@${VERSION}`);
  });

  it('the fixes doctor prints use that form', async () => {
    const io = captureIo({ DUAL_AUTH_VENDOR: 'keycloak' }, root);
    expect(await runCli(['doctor'], io)).toBe(1);
    expect(io.all()).toContain('`npm run dual-auth -- dev-iam` writes a complete .env');
  });

  it("in a clone, the dev-iam banner's command runs as printed and passes", async () => {
    const envFile = join(mkdtempSync(join(work, 'banner-')), 'dev.env');
    const io = captureIo({}, root);
    let banner = '';
    const running = runCli(['dev-iam', '--vendor', 'okta', '--dotenv', envFile], {
      ...io,
      // Keep the IAM up until the printed command has run.
      untilInterrupted: async () => {
        banner = io.all();
        const command = /^Try: (.+?) {3}\|/m.exec(banner)?.[1] as string;
        expect(command).toBe(`npm run dual-auth -- doctor --env-file ${envFile} --request-token`);
        const { stdout } = await run('sh', ['-c', command], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 60_000 });
        expect(stdout).toContain('All checks passed.');
      },
    });
    expect(await running).toBe(0);
    expect(banner).toContain('Local IAM (okta profile) and demo API are running.');
  }, 90_000);
});

describe('what the fixes point to exists', () => {
  it('every docs page a CLI message names is in the repository (and so in the package)', () => {
    const named = new Set<string>();
    for (const file of ['explain.ts', 'commands/doctor.ts', 'commands/token.ts', 'commands/dev-iam.ts', 'commands/keygen.ts']) {
      const source = readFileSync(join(root, 'src/cli', file), 'utf8');
      for (const [path] of source.matchAll(/docs\/[\w<>/.-]+\.md/g)) {
        for (const vendor of ['keycloak', 'auth0', 'okta', 'entraid']) named.add(path.replace('<vendor>', vendor));
      }
    }
    expect(named.size).toBeGreaterThan(0);
    expect([...named].filter((path) => !existsSync(join(root, path)))).toEqual([]);
  });
});

describe('missing optional peers are named all at once (item 18)', () => {
  it('dual-auth demo without oidc-provider, @peculiar/x509 and express: one message, one install command', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--import', './test/cli/fixtures/block-local-iam-peers.mjs', 'src/cli/main.ts', 'demo'],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('exit', (exitCode) => resolve({ code: exitCode, output }));
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'dual-auth demo requires oidc-provider@9, @peculiar/x509@1 and express@5. Install with: npm install oidc-provider@9 @peculiar/x509@1 express@5 [ERR_DEPENDENCY_MISSING]',
    );
    expect(output.match(/Install with/g)).toHaveLength(1);
  }, 60_000);
});
