#!/usr/bin/env node
/**
 * `npm run test:mutation [-- <module> ...]`: StrykerJS, one module at a time
 * (scripts/mutation/modules.mjs; all of them when none is named), each run incremental
 * (only mutants whose code or tests changed since the committed incremental file are
 * tested again), then the per-module score check (scripts/mutation/check-scores.mjs).
 *
 *   npm run test:mutation -- jwt verify     two modules
 *   npm run test:mutation -- --list         the modules and their thresholds
 *   npm run test:mutation -- --force jwt    ignore the incremental file (a full run of jwt)
 *   npm run test:mutation -- --combined     CI: ONE run over every module tested by `npm test`
 *                                           (not redis and secrets: they have suites of their
 *                                           own; run them by name), from
 *                                           reports/stryker-incremental/combined.json
 *                                           (scripts/mutation/merge-incremental.mjs builds it),
 *                                           then each of those modules' check on that one report
 *
 * Extra Stryker options pass through after `--stryker`, e.g. `--stryker --concurrency 2`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { COMBINED, COMBINED_MODULES, MODULES, moduleOfFile, reportPaths } from './modules.mjs';

const args = process.argv.slice(2);
const split = args.indexOf('--stryker');
const own = split === -1 ? args : args.slice(0, split);
const strykerArgs = split === -1 ? [] : args.slice(split + 1);

if (own.includes('--list')) {
  for (const [name, { mutate, threshold, pending }] of Object.entries(MODULES)) {
    console.log(`${name.padEnd(11)} >= ${threshold} %  ${mutate.join(' ')}${pending === undefined ? '' : `  PENDING: ${pending}`}`);
  }
  process.exit(0);
}
const force = own.includes('--force');
const combined = own.includes('--combined');
const names = own.filter((arg) => !arg.startsWith('--'));
if (combined && names.length > 0) {
  console.error('--combined runs every module of npm test; run the others (redis, secrets) by name, in a second command');
  process.exit(2);
}
const unknown = names.filter((name) => !Object.hasOwn(MODULES, name));
if (unknown.length > 0) {
  console.error(`Unknown mutation module(s): ${unknown.join(', ')}. Known: ${Object.keys(MODULES).join(', ')}`);
  process.exit(2);
}
const modules = names.length > 0 ? names : Object.keys(MODULES);
const runs = combined ? [COMBINED] : modules;
if (combined && !force) requireCombinedResults();

/**
 * The combined run (CI) starts from results for every module it covers: a module without any
 * would be tested in full (hours on 2 cores), so it fails at once instead, saying what to do.
 */
function requireCombinedResults() {
  const path = reportPaths(COMBINED).incremental;
  const files = existsSync(path) ? Object.keys(JSON.parse(readFileSync(path, 'utf8')).files) : [];
  const missing = COMBINED_MODULES.filter((name) => !files.some((file) => moduleOfFile(file) === name));
  if (missing.length === 0) return;
  console.error(
    `${path} holds no results for: ${missing.join(', ')}. A first run tests every mutant (hours on 2 cores), so the combined run does not start. ` +
      'Run those modules by name (npm run test:mutation -- <module>), then node scripts/mutation/merge-incremental.mjs; ' +
      'or mark a module pending in scripts/mutation/modules.mjs with the reason. --force runs everything in full.',
  );
  process.exit(1);
}

for (const name of runs) {
  console.log(`\n=== mutation testing: ${name} ===`);
  const started = Date.now();
  // Low priority: the machine is shared; Stryker's own concurrency is 1 (stryker.config.mjs).
  const run = spawnSync('nice', ['-n', '10', 'npx', 'stryker', 'run', 'stryker.config.mjs', ...(force ? ['--force'] : []), ...strykerArgs], {
    stdio: 'inherit',
    env: { ...process.env, DUAL_AUTH_MUTATION_MODULE: name },
  });
  console.log(`=== ${name}: ${Math.round((Date.now() - started) / 1000)} s ===`);
  if (run.status !== 0) {
    console.error(`Stryker failed for module ${name} (exit ${run.status ?? run.signal})`);
    process.exit(run.status ?? 1);
  }
}

const checkArgs = combined ? ['--report', reportPaths(COMBINED).json] : modules;
const check = spawnSync(process.execPath, ['scripts/mutation/check-scores.mjs', ...checkArgs], { stdio: 'inherit' });
process.exit(check.status ?? 1);
