/**
 * Benchmark helpers: throughput of an async operation for a fixed time, with
 * warm-up, optional concurrency, and alternating rounds (baseline, package,
 * package, baseline, ...) so that drift (CPU frequency, GC, other load) hits
 * both sides alike. The median of the rounds is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { cpus } from 'node:os';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(benchDir, '..');

export interface RunOptions {
  /** Length of one measured round, ms. */
  ms: number;
  /** Concurrent callers (each awaits its own operation in a loop). */
  concurrency?: number;
}

export interface BenchSettings {
  quick: boolean;
  roundMs: number;
  warmupMs: number;
  rounds: number;
}

export function settingsFromArgs(argv = process.argv.slice(2)): BenchSettings {
  const quick = argv.includes('--quick');
  return quick ? { quick, roundMs: 250, warmupMs: 300, rounds: 4 } : { quick, roundMs: 700, warmupMs: 1000, rounds: 10 };
}

export interface Rate {
  /** Operations per wall-clock second. */
  opsPerSec: number;
  /** This process's CPU time (all threads: main, libuv pool) per operation, microseconds. */
  cpuUsPerOp: number;
}

/**
 * Throughput of `op` over `ms` milliseconds, and the CPU time this process spent
 * per operation. Under outside load (other processes on the same cores) wall
 * time suffers but CPU time per operation stays comparable.
 */
export async function rate(op: () => Promise<unknown> | unknown, { ms, concurrency = 1 }: RunOptions): Promise<Rate> {
  let count = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const deadline = started + ms;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op();
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return { opsPerSec: (count * 1000) / elapsed, cpuUsPerOp: (cpu.user + cpu.system) / count };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Comparison {
  name: string;
  /** Median ops/s. */
  baseline: number;
  candidate: number;
  /** candidate / baseline, wall-clock throughput. */
  ratio: number;
  /** Median CPU microseconds per operation (this process). */
  baselineCpuUs: number;
  candidateCpuUs: number;
  /** baseline CPU per op / candidate CPU per op: the same ratio on CPU time. */
  cpuRatio: number;
}

/**
 * Warms both up, then alternates them for `rounds` rounds (ABBA order), and
 * returns the medians of each.
 */
export async function compare(
  name: string,
  baseline: () => Promise<unknown> | unknown,
  candidate: () => Promise<unknown> | unknown,
  settings: BenchSettings,
  concurrency = 1,
): Promise<Comparison> {
  await rate(baseline, { ms: settings.warmupMs, concurrency });
  await rate(candidate, { ms: settings.warmupMs, concurrency });
  const a: Rate[] = [];
  const b: Rate[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      if (which === 'a') a.push(await rate(baseline, { ms: settings.roundMs, concurrency }));
      else b.push(await rate(candidate, { ms: settings.roundMs, concurrency }));
    }
  }
  const baselineRate = median(a.map((r) => r.opsPerSec));
  const candidateRate = median(b.map((r) => r.opsPerSec));
  const baselineCpuUs = median(a.map((r) => r.cpuUsPerOp));
  const candidateCpuUs = median(b.map((r) => r.cpuUsPerOp));
  return {
    name,
    baseline: baselineRate,
    candidate: candidateRate,
    ratio: candidateRate / baselineRate,
    baselineCpuUs,
    candidateCpuUs,
    cpuRatio: baselineCpuUs / candidateCpuUs,
  };
}

export function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Array<string | number>) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${process.platform} ${process.arch}`;
}

export interface TokenServer {
  port: number;
  origin: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/token-server.mjs in its own process. */
export async function startTokenServer(init: { cert: string; key: string; jwks?: unknown; token: unknown }): Promise<TokenServer> {
  const child = spawn(process.execPath, [resolve(benchDir, 'token-server.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.end(JSON.stringify(init));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString('utf8')) as { port: number };
  return {
    port,
    origin: `https://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
