/**
 * Shared plumbing for the secrets test servers: the cache folder, free ports,
 * readiness checks and start/stop by pid. Every server listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, existsSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * Installed tools and run folders: the checkout's .cache, or DUAL_AUTH_CACHE_DIR. Mutation testing
 * (stryker.config.mjs) runs the suites from a copy of the checkout without .cache and points this
 * back at the checkout's, so the servers' tools are not installed again for every run.
 */
export const CACHE_ROOT = process.env.DUAL_AUTH_CACHE_DIR ?? join(ROOT, '.cache');
export const CACHE = join(CACHE_ROOT, 'secrets');
const RUNS = join(CACHE, 'run');
/**
 * This run's folder (certificates, logs, pids): one per process, so that two runs at
 * once (a developer and CI, or two shells) never share or stop each other's servers.
 * scripts/secrets/start.ts uses the fixed name `manual`.
 */
let runName = String(process.pid);
export function useRunName(name: string): void {
  runName = name;
}
export function runDir(): string {
  return join(RUNS, runName);
}
const stateFileOf = (dir: string) => join(dir, 'servers.json');

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/** A port that was free a moment ago (for servers that cannot listen on port 0 and report it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits until a TCP connection to 127.0.0.1:port succeeds (no request is sent: moto counts requests). */
export async function waitForPort(port: number, child: ChildProcess, name: string, logFile: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before listening; log: ${logFile}\n${tail(logFile)}`);
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms; log: ${logFile}\n${tail(logFile)}`);
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts a detached server whose output goes to a log file; it survives only as long as we keep its pid. */
export function spawnServer(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; logFile: string } {
  const dir = ensureDir(runDir());
  const logFile = join(dir, `${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  return { child, logFile };
}

/** Stops one server by pid (its process group, so helpers it forked go too), waiting until it is gone. */
export async function stopPid(pid: number, timeoutMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!alive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) signal('SIGKILL');
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ServerRecord {
  name: string;
  pid: number;
}

export function recordServer(record: ServerRecord): void {
  const all = readServers().filter((s) => s.name !== record.name);
  all.push(record);
  writeFileSync(stateFileOf(ensureDir(runDir())), JSON.stringify(all, null, 2));
}

export function readServers(stateFile = stateFileOf(runDir())): ServerRecord[] {
  if (!existsSync(stateFile)) return [];
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as ServerRecord[];
  } catch {
    return [];
  }
}

/** Stops every server recorded for a run (this one by default) by pid, then removes the record. */
export async function stopRecordedServers(dir = runDir()): Promise<void> {
  const stateFile = stateFileOf(dir);
  for (const server of readServers(stateFile)) {
    // A recorded pid may have been reused since: stop it only if it is still one of ours.
    if (isOurs(server.pid)) await stopPid(server.pid);
  }
  rmSync(stateFile, { force: true });
}

/** Stops the servers of earlier runs whose process is gone (an interrupted run), by their recorded pids. */
export async function stopStaleRuns(): Promise<void> {
  if (!existsSync(RUNS)) return;
  for (const name of readdirSync(RUNS)) {
    if (!/^\d+$/.test(name) || alive(Number(name))) continue;
    await stopRecordedServers(join(RUNS, name));
    rmSync(join(RUNS, name), { recursive: true, force: true });
  }
}

function isOurs(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(CACHE) || cmdline.includes(join(ROOT, 'scripts', 'secrets'));
  } catch {
    return false;
  }
}

export async function timed<T>(label: string, timings: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round(performance.now() - start);
  }
}
