// @ts-check
/**
 * StrykerJS (9.x: 10.x needs Node 22) over the `npm test` suite. Run it through
 * `npm run test:mutation` (scripts/mutation/run.mjs), which runs one module at a time
 * (scripts/mutation/modules.mjs), or every module in one run (`--combined`, as CI does),
 * and then checks each module's score against its threshold.
 * docs/testing.md, "Mutation testing", says how to read the results.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { moduleNamed, reportPaths } from './scripts/mutation/modules.mjs';

const name = process.env.DUAL_AUTH_MUTATION_MODULE ?? 'jwt';
const module = moduleNamed(name);
const paths = reportPaths(name);
// The suites' servers' tools (venvs of moto, OpenBao, Valkey) stay in the checkout's .cache: the sandbox has none.
process.env.DUAL_AUTH_CACHE_DIR ??= resolve('.cache');
if (module.testCertificates) {
  // Stryker runs the tests in threads of one process: it must start trusting the suite's test CA.
  const dir = resolve('.cache', 'mutation-certificates');
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/secrets/write-test-certificates.ts', dir], { stdio: 'inherit' });
  process.env.DUAL_AUTH_TEST_CERTIFICATES = dir;
  process.env.NODE_EXTRA_CA_CERTS = join(dir, 'ca.pem');
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Only the test files that import the mutated module run in the dry run (vitest --related).
  vitest: { configFile: module.vitestConfig ?? 'vitest.mutation.config.ts', related: true },
  // Each mutant runs only the tests that covered it.
  coverageAnalysis: 'perTest',
  mutate: module.mutate,
  // Mutants in code run once at import (constants, tables) would need every test re-run: skipped.
  ignoreStatic: true,
  // Mutants that only change what a log line says (scripts/mutation/log-ignorer.mjs).
  ignorers: ['log-lines'],
  plugins: ['@stryker-mutator/vitest-runner', './scripts/mutation/log-ignorer.mjs'],
  incremental: true,
  incrementalFile: paths.incremental,
  // Two cores, shared: one test process. Override with --concurrency on a machine of your own.
  concurrency: 1,
  // Several suites run real HTTPS servers with timeouts of their own: a mutant that hangs one is a timeout (counted as killed).
  timeoutMS: 10_000,
  // The first test run (every related test file, one at a time, under coverage) takes minutes on the
  // shared machine; the combined run's covers the whole suite. Stryker's default (5 min) is too short.
  dryRunTimeoutMinutes: 40,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: paths.json },
  htmlReporter: { fileName: paths.html },
  // Per-module thresholds are enforced by scripts/mutation/check-scores.mjs (Stryker's `break` is global).
  thresholds: { high: module.threshold, low: 75, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['.stryker-tmp-*', '.cache', 'dist', 'coverage', '.ci-results', 'integrations', 'reports', '.dual-auth'],
};
