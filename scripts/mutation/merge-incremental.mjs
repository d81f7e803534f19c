#!/usr/bin/env node
/**
 * Builds the combined incremental file CI starts from (reports/stryker-incremental/combined.json)
 * out of the per-module incremental files (reports/stryker-incremental/<module>.json), so the one
 * combined Stryker run of CI re-tests only what changed since the modules' own runs.
 *
 *   node scripts/mutation/merge-incremental.mjs   the files of the combined run's modules that exist
 *
 * All files share the mutation-testing-report-schema. The modules mutate disjoint files, so their
 * `files` are joined. Test ids are NOT shared: each report numbers its tests ("0", "1", ...), so
 * every test gets a new id from what identifies it across reports (Stryker's own key: its file,
 * name and start), and each mutant's `coveredBy` / `killedBy` are rewritten through that map. When
 * runs saw different versions of a test file, the version that matches the file on disk is kept
 * (Stryker re-runs the mutants whose tests changed, so a stale choice costs time, never a wrong result).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COMBINED, COMBINED_MODULES, moduleOfFile, reportPaths } from './modules.mjs';

function readReport(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function currentSource(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** What identifies a test across reports (as Stryker's IncrementalDiffer: file, start, name). */
function testKey(file, test) {
  const start = test.location?.start ?? { line: 0, column: 0 };
  return `${file}@${start.line}:${start.column}\n${test.name}`;
}

export function mergeReports(named) {
  const [first] = named;
  const merged = { ...first.report, files: {}, testFiles: {} };
  const versionsByFile = new Map(); // test file -> [{ source, tests }]
  for (const { report } of named) {
    for (const [file, testFile] of Object.entries(report.testFiles ?? {})) {
      versionsByFile.set(file, [...(versionsByFile.get(file) ?? []), testFile]);
    }
  }
  // One new id per test key, in a stable order.
  const idByKey = new Map();
  for (const [file, versions] of versionsByFile) {
    const onDisk = currentSource(file);
    const chosen = versions.find((v) => v.source === onDisk) ?? versions[versions.length - 1];
    const tests = [];
    for (const version of versions) {
      for (const test of version.tests) {
        const key = testKey(file, test);
        if (idByKey.has(key)) continue;
        idByKey.set(key, String(idByKey.size));
        tests.push({ ...test, id: idByKey.get(key) });
      }
    }
    merged.testFiles[file] = { ...chosen, tests };
  }
  for (const { name, report } of named) {
    const newId = new Map();
    for (const [file, testFile] of Object.entries(report.testFiles ?? {})) {
      for (const test of testFile.tests) newId.set(test.id, idByKey.get(testKey(file, test)));
    }
    const rewrite = (ids) => ids?.map((id) => newId.get(id)).filter((id) => id !== undefined);
    for (const [file, result] of Object.entries(report.files)) {
      // Only the module's own files: a module run started from an older combined file may carry others'.
      if (moduleOfFile(file) !== name) continue;
      if (merged.files[file]) throw new Error(`${file} appears in two modules' incremental files`);
      merged.files[file] = {
        ...result,
        mutants: result.mutants.map((mutant) => ({
          ...mutant,
          ...(mutant.coveredBy ? { coveredBy: rewrite(mutant.coveredBy) } : {}),
          ...(mutant.killedBy ? { killedBy: rewrite(mutant.killedBy) } : {}),
        })),
      };
    }
  }
  return merged;
}

function main() {
  const named = COMBINED_MODULES
    .map((name) => ({ name, path: reportPaths(name).incremental }))
    .filter(({ path }) => existsSync(path))
    .map(({ name, path }) => ({ name, report: readReport(path) }));
  if (named.length === 0) {
    console.error('No per-module incremental files under reports/stryker-incremental/: run npm run test:mutation -- <module> first');
    process.exit(1);
  }
  const merged = mergeReports(named);
  const target = reportPaths(COMBINED).incremental;
  writeFileSync(target, JSON.stringify(merged));
  const mutants = Object.values(merged.files).reduce((sum, { mutants }) => sum + mutants.length, 0);
  console.log(`${target}: ${named.map(({ name }) => name).join(', ')}; ${Object.keys(merged.files).length} files, ${mutants} mutants, ${Object.keys(merged.testFiles).length} test files`);
}

// Run as a script (imported, it only exports mergeReports).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
