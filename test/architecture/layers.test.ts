/**
 * Dependencies run one way (docs/architecture.md): domain types at the bottom,
 * then the HTTP layer, the JWT layer (its key sets fetched over HTTP), configuration and secrets, adapters, session
 * orchestration, API calls and the verifier, and the entry points on top.
 * A module may import its own folder or a lower layer, never a higher one, and
 * no module may reach itself again through its imports (type imports included).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../../src');

/** Lowest first. A module's layer is that of its top folder (or its file name at the top). */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts'],
  ['logging.ts', 'python-json.ts', 'version.ts', 'optional.ts', 'options.ts', 'telemetry'],
  ['domain'],
  ['http'],
  // Key sets are fetched over the one HTTP layer.
  ['jwt'],
  ['secrets', 'config'],
  ['adapters'],
  ['session', 'verify'],
  ['api', 'redis'],
  ['index.ts', 'express.ts', 'fastify.ts', 'hono.ts', 'mcp', 'local-iam'],
  ['cli'],
];
/** Within one layer, folders are independent except for these [importer, imported] pairs. */
const SAME_LAYER_ALLOWED: ReadonlyArray<readonly [string, string]> = [
  ['config', 'secrets'],
  // Tracing loads its optional peer through the one loader and names the package version.
  ['telemetry', 'optional.ts'],
  ['telemetry', 'version.ts'],
];

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function area(file: string): string {
  return relative(SRC, file).split('/')[0] as string;
}

function layerOf(file: string): number {
  const index = LAYERS.findIndex((names) => names.includes(area(file)));
  if (index === -1) throw new Error(`no layer declared for ${relative(SRC, file)}: add it to LAYERS`);
  return index;
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => resolve(dirname(file), (m[1] ?? m[2]) as string).replace(/\.js$/, '.ts'));
}

const files = listSources(SRC);
const graph = new Map(files.map((file) => [file, relativeImports(file)]));

describe('architecture: dependencies run one way', () => {
  it('every import resolves to a module in src/', () => {
    const dangling = [...graph].flatMap(([file, imports]) => imports.filter((target) => !graph.has(target)).map((t) => `${relative(SRC, file)} -> ${relative(SRC, t)}`));
    expect(dangling).toEqual([]);
  });

  it('no module imports a higher layer', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        if (area(file) === area(target)) continue;
        const from = layerOf(file);
        const to = layerOf(target);
        const sameLayerAllowed = SAME_LAYER_ALLOWED.some(([importer, imported]) => area(file) === importer && area(target) === imported);
        if (to > from || (to === from && !sameLayerAllowed)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'visiting');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'visiting') {
          cycles.push([...stack.slice(stack.indexOf(target)), target].map((f) => relative(SRC, f)).join(' -> '));
        } else if (!state.has(target) && graph.has(target)) {
          visit(target);
        }
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
