/**
 * Real Redis servers for the tests and the bench: Debian's `redis-server` on
 * 127.0.0.1, on free ports, with a password; a TLS server with an ACL user;
 * a three-node Redis Cluster. Each server runs from a config file under
 * .cache/redis/run/<pid>/ and is stopped by pid; a missing redis-server is an
 * error (never a skip). `.ci/run` installs it with apt.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { alive, freePort, CACHE_ROOT, tail } from '../secrets/lib.js';

const run = promisify(execFile);
const RUNS = join(CACHE_ROOT, 'redis', 'run');

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface RedisServerOptions {
  /** Names the config, log and data files. */
  name: string;
  /** Password of the default user (`requirepass`). */
  password: string;
  /** Listen with TLS only (`rediss://`). */
  tls?: TlsFiles;
  /** ACL users, as `user` lines of redis.conf: `name on >password ~keys +commands`. */
  users?: string[];
  /** Run as a Redis Cluster node. */
  cluster?: boolean;
  /** The server binary. Default is 'redis-server' (Debian's); e.g. a valkey-server. */
  binary?: string;
}

export interface RedisServer {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  /** `redis://:password@127.0.0.1:port` (or rediss://). */
  readonly url: string;
  /** SIGTERM and wait until gone (connections are refused from then on). */
  stop(): Promise<void>;
  /** Starts again on the same port, from the same config (and cluster state). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open and nobody answers (a black hole). */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

/** Fails (never skips) when Debian's redis-server and redis-cli are not installed. */
export async function requireRedisServer(): Promise<string> {
  try {
    const { stdout } = await run('redis-server', ['--version']);
    await run('redis-cli', ['--version']);
    return stdout.trim();
  } catch {
    throw new Error('redis-server / redis-cli not found: install them with `apt-get update && apt-get install -y redis-server` (.ci/run does)');
  }
}

/** This process's folder for Redis configs, logs and data (and anything else a suite writes for its servers). */
export function runDir(): string {
  const dir = join(RUNS, String(process.pid));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const dir = runDir();
  const port = await freePort();
  const busPort = options.cluster ? await freePort() : 0;
  const configFile = join(dir, `${options.name}.conf`);
  const logFile = join(dir, `${options.name}.log`);
  const lines = [
    'bind 127.0.0.1',
    'protected-mode yes',
    'daemonize no',
    'save ""',
    'appendonly no',
    `dir ${dir}`,
    `dbfilename ${options.name}.rdb`,
    `requirepass ${options.password}`,
    ...(options.tls
      ? ['port 0', `tls-port ${port}`, `tls-cert-file ${options.tls.certFile}`, `tls-key-file ${options.tls.keyFile}`, `tls-ca-cert-file ${options.tls.caFile}`, 'tls-auth-clients no']
      : [`port ${port}`]),
    ...(options.cluster ? ['cluster-enabled yes', `cluster-config-file ${options.name}-nodes.conf`, `cluster-port ${busPort}`, 'cluster-node-timeout 2000', `masterauth ${options.password}`] : []),
    ...(options.users ?? []).map((user) => `user ${user}`),
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`, { mode: 0o600 });

  const binary = options.binary ?? 'redis-server';
  let child: ChildProcess = await launch(binary, configFile, logFile, options.name);
  const scheme = options.tls ? 'rediss' : 'redis';
  return {
    name: options.name,
    port,
    get pid() {
      return child.pid as number;
    },
    url: `${scheme}://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`,
    async stop() {
      await stopChild(child);
    },
    async restart() {
      await stopChild(child);
      child = await launch(binary, configFile, logFile, options.name);
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
  };
}

export interface RedisCluster {
  readonly nodes: RedisServer[];
  /** The seed node URLs (each with the password). */
  readonly urls: string[];
  stop(): Promise<void>;
  /** Restarts every node; resolves once the cluster is healthy again. */
  restart(): Promise<void>;
}

/** Three masters (no replicas), every slot assigned, password on every node. */
export async function startRedisCluster(name: string, password: string): Promise<RedisCluster> {
  const nodes = await Promise.all([1, 2, 3].map((n) => startRedisServer({ name: `${name}-${n}`, password, cluster: true })));
  const cluster: RedisCluster = {
    nodes,
    urls: nodes.map((node) => node.url),
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
    },
    async restart() {
      await Promise.all(nodes.map((node) => node.restart()));
      await waitForClusterOk(nodes, password);
    },
  };
  try {
    // REDISCLI_AUTH keeps the password off the command line.
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      env: { ...process.env, REDISCLI_AUTH: password },
      timeout: 30_000,
    });
    await waitForClusterOk(nodes, password);
  } catch (error) {
    await cluster.stop();
    throw new Error(`Redis Cluster did not form: ${(error as Error).message}`);
  }
  return cluster;
}

async function waitForClusterOk(nodes: readonly RedisServer[], password: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      nodes.map(async (node) => {
        try {
          const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(node.port), 'cluster', 'info'], { env: { ...process.env, REDISCLI_AUTH: password } });
          return /cluster_state:ok/.test(stdout);
        } catch {
          return false;
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`cluster_state is not ok after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function launch(binary: string, configFile: string, logFile: string, name: string, timeoutMs = 20_000): Promise<ChildProcess> {
  const out = openSync(logFile, 'a');
  const child = spawn(binary, [configFile], { stdio: ['ignore', out, out] });
  const started = readFileSync(logFile, 'utf8').length;
  const deadline = Date.now() + timeoutMs;
  // "Ready to accept connections" once per start: look only at what this start wrote.
  while (!readFileSync(logFile, 'utf8').slice(started).includes('Ready to accept connections')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${binary} ${name} did not start; log ${logFile}:\n${tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  recordPid(child.pid as number);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT'); // a paused server cannot handle SIGTERM
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function recordPid(pid: number): void {
  const file = join(runDir(), 'pids');
  writeFileSync(file, `${pid}\n`, { flag: 'a' });
}

/** Stops the servers of earlier runs whose process is gone (an interrupted run), and removes their files. */
export function stopStaleRedisRuns(): void {
  if (!existsSync(RUNS)) return;
  for (const name of readdirSync(RUNS)) {
    if (!/^\d+$/.test(name) || alive(Number(name))) continue;
    const dir = join(RUNS, name);
    const pids = existsSync(join(dir, 'pids')) ? readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number) : [];
    for (const pid of pids) {
      // A recorded pid may have been reused since: stop it only if it still works in that folder
      // (redis-server rewrites its command line, but chdirs to its `dir`).
      if (alive(pid) && workingDir(pid).startsWith(dir)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes this process's run folder (after its servers are stopped). */
export function removeRunDir(): void {
  rmSync(join(RUNS, String(process.pid)), { recursive: true, force: true });
}

function workingDir(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}
