#!/usr/bin/env node
/**
 * Builds the combined incremental file CI starts from (reports/stryker-incremental/combined.json)
 * out of the per-module incremental files (reports/stryker-incremental/<module>.json), so the one
 * combined Stryker run of CI re-tests only what changed since the modules' own runs.
 *
 *   node scripts/mutation/merge-incremental.mjs   the files of the combined run's modules that exist
 *
 * All files share the mutation-testing-report-schema. The modules mutate disjoint files, so their
 * `files` are joined as they are. Test ids are the vitest runner's (`<test file>#<test name>`), the
 * same in every run, so `testFiles` are joined per test file; when runs saw different versions of
 * a test file, the version that matches the file on disk wins (Stryker re-runs the mutants whose
 * tests it cannot find, so a stale choice costs time, never a wrong result).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { COMBINED, COMBINED_MODULES, moduleOfFile, reportPaths } from './modules.mjs';

function readReport(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function currentSource(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export function mergeReports(named) {
  const [first] = named;
  const merged = { ...first.report, files: {}, testFiles: {} };
  const testFileVersions = new Map(); // test file -> [{ source, tests }]
  for (const { name, report } of named) {
    for (const [file, result] of Object.entries(report.files)) {
      // Only the module's own files: a module run started from an older combined file may carry others'.
      if (moduleOfFile(file) !== name) continue;
      if (merged.files[file]) throw new Error(`${file} appears in two modules' incremental files`);
      merged.files[file] = result;
    }
    for (const [file, testFile] of Object.entries(report.testFiles ?? {})) {
      const versions = testFileVersions.get(file) ?? [];
      versions.push(testFile);
      testFileVersions.set(file, versions);
    }
  }
  for (const [file, versions] of testFileVersions) {
    const onDisk = currentSource(file);
    const chosen = versions.find((v) => v.source === onDisk) ?? versions[versions.length - 1];
    const tests = new Map();
    for (const version of versions) {
      if (version.source !== chosen.source) continue;
      for (const test of version.tests) if (!tests.has(test.id)) tests.set(test.id, test);
    }
    merged.testFiles[file] = { ...chosen, tests: [...tests.values()] };
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

main();
