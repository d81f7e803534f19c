/**
 * An API under load (issue 13): dual-auth/express against express-oauth2-jwt-bearer,
 * dual-auth/fastify against @fastify/jwt + get-jwks, the same checks in each
 * (bench/api-server.mjs). Each server runs in its own process, the load comes from
 * a second one (wrk when installed, one thread: it needs a fraction of autocannon's
 * CPU on this 2-core machine, so the server has a core to itself; else autocannon;
 * 50 connections, keep-alive), and the rounds alternate
 * (A B B A ...) after a warm-up that also fills each JWKS cache. Reported: the
 * median requests/s and p99 latency of the rounds, and the server process's CPU
 * time per request (from /proc), which outside load disturbs the least.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { benchDir, median, repoRoot, type BenchSettings } from './lib.js';
import { API_AUDIENCE, type BenchFixtures } from './shared.js';

export type ApiVariant = 'dual-auth-express' | 'peer-express' | 'none-express' | 'dual-auth-fastify' | 'peer-fastify' | 'none-fastify';

export interface ApiRun {
  variant: ApiVariant;
  requestsPerSec: number;
  p99Ms: number;
  /** Server process CPU per answered request, microseconds. */
  serverCpuUs: number;
  /** Answers other than 200 (must be 0: every variant accepts the token). */
  non2xx: number;
}

interface ApiServer {
  variant: ApiVariant;
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function startApi(variant: ApiVariant, f: BenchFixtures): Promise<ApiServer> {
  const child = spawn(process.execPath, [resolve(benchDir, 'api-server.mjs'), variant], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: f.caFile, NODE_ENV: 'production' },
  });
  child.stdin!.end(JSON.stringify({ issuer: f.issuer, audience: API_AUDIENCE, jwksUri: `${f.server.origin}/jwks`, jwksOrigin: f.server.origin }));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString('utf8')) as { port: number };
  return {
    variant,
    child,
    url: `http://127.0.0.1:${port}/finance`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** utime + stime of a process, in microseconds (Linux /proc; clock ticks of 10 ms). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface LoadResult {
  requestsPerSec: number;
  total: number;
  p99Ms: number;
  /** Answers other than 2xx, and socket errors. */
  failed: number;
}

/** The load generator: wrk when on PATH (apt install wrk), else autocannon. */
export const loadGenerator: 'wrk' | 'autocannon' = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (error) {
    // wrk --version prints its usage and exits 1; only a missing binary is ENOENT.
    return (error as { code?: unknown }).code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
})();

async function output(command: string, args: string[]): Promise<string> {
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return out;
}

/** 50 connections against `url` for `seconds`, from another process. */
async function load(url: string, token: string, seconds: number): Promise<LoadResult> {
  if (loadGenerator === 'wrk') {
    const out = await output('wrk', ['-t1', '-c50', `-d${seconds}s`, '--latency', '-H', `Authorization: Bearer ${token}`, url]);
    const number = (pattern: RegExp): number => Number(pattern.exec(out)?.[1] ?? Number.NaN);
    const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
    const scale = { us: 0.001, ms: 1, s: 1000 }[(p99?.[2] ?? 'ms') as 'us' | 'ms' | 's'];
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    return {
      requestsPerSec: number(/Requests\/sec:\s+([\d.]+)/),
      total: number(/(\d+) requests in/),
      p99Ms: Number(p99?.[1] ?? Number.NaN) * scale,
      failed: (/Non-2xx or 3xx responses: (\d+)/.exec(out) ? number(/Non-2xx or 3xx responses: (\d+)/) : 0) + (errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
    };
  }
  const out = await output(process.execPath, [resolve(repoRoot, 'node_modules/autocannon/autocannon.js'), '-c', '50', '-d', String(seconds), '-j', '-H', `authorization=Bearer ${token}`, url]);
  const result = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p99: number }; non2xx: number; errors: number };
  return { requestsPerSec: result.requests.average, total: result.requests.total, p99Ms: result.latency.p99, failed: result.non2xx + result.errors };
}

async function measure(server: ApiServer, token: string, seconds: number): Promise<ApiRun> {
  const before = processCpuUs(server.child.pid!);
  const result = await load(server.url, token, seconds);
  const cpu = processCpuUs(server.child.pid!) - before;
  return {
    variant: server.variant,
    requestsPerSec: result.requestsPerSec,
    p99Ms: result.p99Ms,
    serverCpuUs: cpu / Math.max(1, result.total),
    non2xx: result.failed,
  };
}

export interface ApiComparison {
  name: string;
  baseline: ApiRun;
  candidate: ApiRun;
  /** The same route with no check: what the framework and node:http cost by themselves. */
  floor: ApiRun;
  /** candidate / baseline requests/s. */
  ratio: number;
  /** baseline server CPU per request / candidate's. */
  cpuRatio: number;
}

/** One framework: the peer (baseline), dual-auth and the route without any check, alternated, medians of the rounds. */
export async function compareApis(name: string, baseline: ApiVariant, candidate: ApiVariant, floor: ApiVariant, f: BenchFixtures, settings: BenchSettings): Promise<ApiComparison> {
  const servers = [await startApi(baseline, f), await startApi(candidate, f), await startApi(floor, f)];
  const seconds = settings.quick ? 2 : 6;
  const rounds = settings.quick ? 2 : 4;
  try {
    for (const server of servers) await load(server.url, f.accessToken, settings.quick ? 1 : 3); // warm-up: JWKS fetched, code optimised
    const runs: ApiRun[][] = servers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [0, 1, 2] : [2, 1, 0];
      for (const which of order) runs[which]!.push(await measure(servers[which]!, f.accessToken, seconds));
    }
    const summary = (list: ApiRun[], variant: ApiVariant): ApiRun => ({
      variant,
      requestsPerSec: median(list.map((r) => r.requestsPerSec)),
      p99Ms: median(list.map((r) => r.p99Ms)),
      serverCpuUs: median(list.map((r) => r.serverCpuUs)),
      non2xx: list.reduce((sum, r) => sum + r.non2xx, 0),
    });
    const a = summary(runs[0]!, baseline);
    const b = summary(runs[1]!, candidate);
    return { name, baseline: a, candidate: b, floor: summary(runs[2]!, floor), ratio: b.requestsPerSec / a.requestsPerSec, cpuRatio: a.serverCpuUs / b.serverCpuUs };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
