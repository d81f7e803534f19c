/**
 * Start-up (issue 13), in fresh processes, alternated with openid-client:
 * - spawn to first token: a process that imports its library and asks the bench
 *   token server for one token (bench/cold-start.mjs), timed from spawn() to the
 *   printed token, with the process's own CPU time;
 * - import: each entry point of the built package (and openid-client's), the time
 *   and CPU of the `import` alone (bench/load-check.mjs), and the packages it loads.
 * Medians of the runs.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { benchDir, median, repoRoot, type BenchSettings } from './lib.js';
import { ACT, AGENT_ID, CLIENT_SECRET, type BenchFixtures } from './shared.js';

export interface Timing {
  name: string;
  /** Median wall-clock milliseconds. */
  ms: number;
  /** Median CPU milliseconds of the measured process. */
  cpuMs: number;
  /** Packages loaded (import only). */
  packages?: string[];
}

/** Runs `run` for each variant in turn, `rounds` times, alternating the order. */
async function alternate<T>(variants: readonly T[], rounds: number, run: (variant: T) => Promise<{ ms: number; cpuMs: number }>): Promise<Map<T, Array<{ ms: number; cpuMs: number }>>> {
  const results = new Map<T, Array<{ ms: number; cpuMs: number }>>(variants.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) results.get(variant)!.push(await run(variant));
  }
  return results;
}

const summarise = (name: string, runs: Array<{ ms: number; cpuMs: number }>): Timing => ({ name, ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)) });

/** Spawn to first token, dual-auth and openid-client. */
export async function coldStarts(f: BenchFixtures, settings: BenchSettings): Promise<Timing[]> {
  const variants = ['dual-auth', 'openid-client'] as const;
  const runs = await alternate(variants, settings.quick ? 3 : 11, async (variant) => {
    const started = performance.now();
    const child = spawn(process.execPath, [resolve(benchDir, 'cold-start.mjs'), variant, f.tokenUrl, AGENT_ID, CLIENT_SECRET, JSON.stringify(ACT)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: f.caFile },
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const ms = performance.now() - started;
    const [code] = (await once(child, 'exit')) as [number];
    const printed = JSON.parse(line.toString('utf8')) as { tokenLength: number; cpuMs: number };
    if (code !== 0 || !(printed.tokenLength > 0)) throw new Error(`${variant} cold start failed`);
    return { ms, cpuMs: printed.cpuMs };
  });
  return variants.map((v) => summarise(v === 'dual-auth' ? 'dual-auth: KeycloakAdapter.requestToken' : 'openid-client: clientCredentialsGrant + ClientSecretJwt', runs.get(v)!));
}

interface LoadTrace {
  importMs: number;
  importCpuMs: number;
  modules: string[];
}

/** What importing `specifier` (a file or a package name) costs in a fresh process. */
function traceImport(specifier: string): LoadTrace {
  const target = specifier.startsWith('dist/') || specifier.startsWith('bench/') ? resolve(repoRoot, specifier) : resolve(repoRoot, 'node_modules', specifier, requireEntry(specifier));
  return JSON.parse(execFileSync(process.execPath, [resolve(benchDir, 'load-check.mjs'), target], { cwd: repoRoot, encoding: 'utf8' })) as LoadTrace;
}

/** A package's ESM entry file (from its exports' import condition, else main). */
function requireEntry(name: string): string {
  const pkg = JSON.parse(execFileSync(process.execPath, ['-p', `JSON.stringify(require('${name}/package.json'))`], { cwd: repoRoot, encoding: 'utf8' })) as {
    exports?: unknown;
    main?: string;
  };
  const root = (pkg.exports as Record<string, unknown> | undefined)?.['.'] ?? pkg.exports;
  const pick = (entry: unknown): string | undefined => {
    if (typeof entry === 'string') return entry;
    if (entry && typeof entry === 'object') {
      const conditions = entry as Record<string, unknown>;
      return pick(conditions.node) ?? pick(conditions.import) ?? pick(conditions.default);
    }
    return undefined;
  };
  return pick(root) ?? pkg.main ?? 'index.js';
}

const MCP_SDK = 'bench/mcp-sdk-modules.mjs';

const packagesIn = (modules: string[]): string[] => [...new Set(modules.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((p): p is string => p !== undefined))].sort();

/** Import of every entry point of the built package and of openid-client, alternated. */
export async function imports(entries: readonly string[], settings: BenchSettings): Promise<Timing[]> {
  // dual-auth/mcp wraps the MCP SDK: the SDK modules it imports, alone, are its peer's share.
  const targets = ['openid-client', ...entries.map((e) => `dist/${e}.js`), ...(entries.includes('mcp') ? [MCP_SDK] : [])];
  const packages = new Map<string, string[]>();
  const runs = await alternate(targets, settings.quick ? 3 : 9, async (target) => {
    const trace = traceImport(target);
    packages.set(target, packagesIn(trace.modules));
    return { ms: trace.importMs, cpuMs: trace.importCpuMs };
  });
  const name = (t: string): string => (t === 'openid-client' ? 'openid-client' : t === MCP_SDK ? 'the MCP SDK modules dual-auth/mcp imports' : `dual-auth${t === 'dist/index.js' ? '' : `/${t.slice(5, -3)}`}`);
  return targets.map((t) => ({ ...summarise(name(t), runs.get(t)!), packages: packages.get(t) }));
}
