/**
 * Runs the Python reference (dual-auth 1.0.1, installed by
 * scripts/interop/setup-python.sh into .cache/pyref-venv) through
 * test/interop/py/driver.py: one interpreter per batch of operations.
 *
 * Spawned asynchronously on purpose: the recording HTTPS server lives in this
 * process, and a synchronous spawn would block it while Python talks to it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const venvPython = resolve(
  repoRoot,
  process.env.DUAL_AUTH_PYREF_VENV ?? '.cache/pyref-venv',
  'bin/python',
);
const driver = resolve(here, '../py/driver.py');

export interface PyError {
  type: string;
  str: string;
  message: string | null;
  status_code: number | null;
  backend: string | null;
  traceback?: string;
}

export type PyResult<T = unknown> = { ok: T; ms: number; error?: undefined } | { error: PyError; ms: number; ok?: undefined };

export interface PythonOptions {
  /** Extra environment, e.g. REQUESTS_CA_BUNDLE. */
  env?: Record<string, string>;
  /** Kill the interpreter after this long (default 120 s). */
  timeoutMs?: number;
}

/** Fails with the reason when the venv is missing: the suite must not skip. */
export function assertPythonReady(): void {
  if (!existsSync(venvPython)) {
    throw new Error(
      `Python reference not installed at ${venvPython}. Run: bash scripts/interop/setup-python.sh`,
    );
  }
}

export async function runPython<T = unknown>(ops: object[], options: PythonOptions = {}): Promise<PyResult<T>[]> {
  assertPythonReady();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
  const child = spawn(venvPython, [driver], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.end(JSON.stringify(ops));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolveExit(c));
  }).finally(() => clearTimeout(timer));
  const stdout = Buffer.concat(out).toString('utf8');
  if (code !== 0) {
    throw new Error(`Python driver exited with ${code}: ${Buffer.concat(err).toString('utf8').slice(-2000)}`);
  }
  const results = JSON.parse(stdout) as PyResult<T>[];
  if (results.length !== ops.length) throw new Error(`Python driver returned ${results.length} results for ${ops.length} ops`);
  return results;
}

/** The `ok` value of a result, or a thrown Error that shows the Python failure. */
export function ok<T>(result: PyResult<T> | undefined): T {
  if (!result) throw new Error('no Python result');
  if (result.error) throw new Error(`Python failed: ${result.error.type}: ${result.error.str}\n${result.error.traceback ?? ''}`);
  return result.ok as T;
}

export function pyError(result: PyResult | undefined): PyError {
  if (!result) throw new Error('no Python result');
  if (!result.error) throw new Error(`Python succeeded where an error was expected: ${JSON.stringify(result.ok)}`);
  return result.error;
}
