/**
 * Shared plumbing for the secrets test servers: the cache folder, free ports,
 * readiness checks and start/stop by pid. Every server listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = join(ROOT, '.cache', 'secrets');
export const RUN = join(CACHE, 'run');
export const STATE_FILE = join(RUN, 'servers.json');

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
  ensureDir(RUN);
  const logFile = join(RUN, `${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, {
    cwd: RUN,
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

function alive(pid: number): boolean {
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
  ensureDir(RUN);
  writeFileSync(STATE_FILE, JSON.stringify(all, null, 2));
}

export function readServers(): ServerRecord[] {
  if (!existsSync(STATE_FILE)) return [];
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ServerRecord[];
  } catch {
    return [];
  }
}

/** Stops every server recorded in the state file (the ones this suite started) by pid. */
export async function stopRecordedServers(): Promise<void> {
  for (const server of readServers()) await stopPid(server.pid);
  rmSync(STATE_FILE, { force: true });
}

export async function timed<T>(label: string, timings: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = Math.round(performance.now() - start);
  }
}
