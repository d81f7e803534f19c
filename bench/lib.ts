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
  return quick ? { quick, roundMs: 300, warmupMs: 200, rounds: 3 } : { quick, roundMs: 1500, warmupMs: 1000, rounds: 5 };
}

/** Operations per second of `op` over `ms` milliseconds. */
export async function rate(op: () => Promise<unknown> | unknown, { ms, concurrency = 1 }: RunOptions): Promise<number> {
  let count = 0;
  const started = performance.now();
  const deadline = started + ms;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op();
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (count * 1000) / (performance.now() - started);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Comparison {
  name: string;
  baseline: number;
  candidate: number;
  /** candidate / baseline */
  ratio: number;
}

/**
 * Warms both up, then alternates them for `rounds` rounds (ABBA order), and
 * returns the median ops/s of each.
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
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      if (which === 'a') a.push(await rate(baseline, { ms: settings.roundMs, concurrency }));
      else b.push(await rate(candidate, { ms: settings.roundMs, concurrency }));
    }
  }
  const baselineRate = median(a);
  const candidateRate = median(b);
  return { name, baseline: baselineRate, candidate: candidateRate, ratio: candidateRate / baselineRate };
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
