/**
 * Docs are product: every ```ts block of README.md and docs/**\/*.md must type-check, strict,
 * as a user would paste it into a project of their own, under `module: nodenext` and under
 * `moduleResolution: bundler`. 'dual-auth' and its subpaths resolve to this package's own
 * sources (the subpaths are read from package.json `exports`, so new entry points are covered).
 *
 * Each block is a module of its own: it must import what it uses and declare its variables.
 * Two conventions, written as the block's first line so readers see them too:
 * - `// continued from the block above`: the block is checked appended to the previous ts block
 *   of the same file (a guide that builds one program step by step);
 * - `// fragment: <why>`: the block is not checked. Use it sparingly (an excerpt of a bigger
 *   file, a type signature); the test lists them.
 * A failure names the Markdown file and line: `docs/guide.md:120: TS2304 Cannot find name 'x'.`
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const CONTINUED = /^\/\/ continued from the block above\b/;
const FRAGMENT = /^\/\/ fragment: \S/;

interface Block {
  /** Path relative to the repository, e.g. docs/guide.md. */
  file: string;
  /** 1-based line in `file` of the block's first code line. */
  line: number;
  code: string;
}

interface CheckedUnit {
  /** Virtual path of the unit's .ts file. */
  path: string;
  text: string;
  /** Maps each 0-based line of `text` to `file:line`. */
  origin: string[];
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.md'))
    .map((path) => join('docs', path));
  return ['README.md', ...docs.sort()];
}

/** The ```ts / ```typescript blocks of one Markdown file. */
function tsBlocks(file: string, text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b/.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[2] as string;
    const indent = (open[1] as string).length;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] as string).trim().startsWith(fence)) end++;
    blocks.push({ file, line: start + 1, code: lines.slice(start, end).map((l) => l.slice(indent)).join('\n') });
    i = end;
  }
  return blocks;
}

/** Groups continued blocks into one unit and drops fragments. */
function units(blocks: Block[]): { units: CheckedUnit[]; fragments: string[] } {
  const out: CheckedUnit[] = [];
  const fragments: string[] = [];
  let previous: { file: string; unit: CheckedUnit } | undefined;
  for (const block of blocks) {
    const first = block.code.split('\n')[0]?.trim() ?? '';
    if (FRAGMENT.test(first)) {
      fragments.push(`${block.file}:${block.line}`);
      continue;
    }
    const origin = block.code.split('\n').map((_, k) => `${block.file}:${block.line + k}`);
    if (CONTINUED.test(first)) {
      if (!previous || previous.file !== block.file) {
        throw new Error(`${block.file}:${block.line}: "continued from the block above" but no checked ts block precedes it in this file`);
      }
      previous.unit.text += `\n${block.code}`;
      previous.unit.origin.push(...origin);
      continue;
    }
    const name = `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-${block.line}.ts`;
    const unit: CheckedUnit = { path: join(root, '.docs-blocks', name), text: block.code, origin };
    out.push(unit);
    previous = { file: block.file, unit };
  }
  return { units: out, fragments };
}

/** 'dual-auth' and each subpath of package.json `exports`, mapped to its source entry. */
function packagePaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
  const paths: Record<string, string[]> = {};
  for (const subpath of Object.keys(pkg.exports)) {
    if (subpath === './package.json') continue;
    const name = subpath === '.' ? 'index' : subpath.slice(2);
    const source = [`src/${name}.ts`, `src/${name}/index.ts`].map((p) => join(root, p)).find((p) => existsSync(p));
    if (!source) throw new Error(`package.json exports ${subpath}, but neither src/${name}.ts nor src/${name}/index.ts exists`);
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${name}`] = [source];
  }
  return paths;
}

const COMMON: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
  esModuleInterop: true,
  moduleDetection: ts.ModuleDetectionKind.Force,
};

const SETTINGS: Record<string, ts.CompilerOptions> = {
  nodenext: { ...COMMON, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext },
  bundler: { ...COMMON, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
};

const parsed = new Map<string, ts.SourceFile>();

/** Type-checks the units as root files of one program; returns `file:line: TSxxxx message` lines. */
function typeCheck(checked: CheckedUnit[], options: ts.CompilerOptions): string[] {
  const virtual = new Map(checked.map((unit) => [unit.path, unit]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (path, language, onError, create) => {
    const unit = virtual.get(resolve(path));
    if (unit) return ts.createSourceFile(path, unit.text, language, true);
    // Both settings read the same libraries and sources: parse each once.
    const key = `${path}\n${JSON.stringify(language)}`;
    let source = parsed.get(key);
    if (!source) {
      source = getSourceFile(path, language, onError, create);
      if (source) parsed.set(key, source);
    }
    return source;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (path) => virtual.has(resolve(path)) || fileExists(path);
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => virtual.get(resolve(path))?.text ?? readFile(path);

  const program = ts.createProgram({ rootNames: [...virtual.keys()], options: { ...options, paths: packagePaths() }, host });
  const problems: string[] = [];
  for (const diagnostic of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
    problems.push(`(compiler) TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
  }
  for (const unit of checked) {
    const source = program.getSourceFile(unit.path);
    if (!source) throw new Error(`${unit.origin[0]}: block not in the program`);
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      problems.push(`${unit.origin[line] ?? unit.origin[0]}: TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
    }
  }
  return problems;
}

const allBlocks = markdownFiles().flatMap((file) => tsBlocks(file, readFileSync(join(root, file), 'utf8')));
const { units: checkedUnits, fragments } = units(allBlocks);

describe('docs code blocks', () => {
  it('finds the ts blocks of README.md and docs/ (fragments are few and listed)', () => {
    expect(allBlocks.length).toBeGreaterThan(40);
    expect(allBlocks.some((block) => block.file === 'README.md')).toBe(true);
    // A fragment is not checked at all: keep them rare.
    expect(fragments.length, `fragments: ${fragments.join(', ')}`).toBeLessThanOrEqual(5);
  });

  for (const [name, options] of Object.entries(SETTINGS)) {
    // A whole TypeScript program per setting: minutes on a loaded 2-core machine. The bound only catches a hang.
    it(`every ts block type-checks, strict, under ${name}`, { timeout: 600_000 }, () => {
      const problems = typeCheck(checkedUnits, options);
      expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
    });
  }

  it('a broken block is reported with its Markdown file and line', () => {
    const [unit] = units(tsBlocks('docs/example.md', "Text\n\n```ts\nimport { getConfig } from 'dual-auth';\n\nconst x: number = apiUrl;\n```\n")).units;
    const problems = typeCheck([unit as CheckedUnit], SETTINGS.bundler as ts.CompilerOptions);
    expect(problems).toEqual(["docs/example.md:6: TS2304 Cannot find name 'apiUrl'."]);
  });
});
