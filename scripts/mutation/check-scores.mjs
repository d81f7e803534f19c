#!/usr/bin/env node
/**
 * Per-module mutation score check (Stryker's `thresholds.break` is one global number).
 * Reads each module's JSON report (reports/mutation/<module>.json, mutation-testing-report-schema),
 * or one report holding every module (`--report`, the combined run of CI) split by the modules'
 * `mutate` globs, leaves out the ignored mutants (named rules: log-lines, static) and the equivalent
 * mutants listed in scripts/mutation/equivalent-mutants.mjs, and fails when a module scores under
 * its threshold (or under its `floor`, when it has one: then "below target" is printed), when a
 * module has no report or no mutants, or when an equivalent entry matches no surviving mutant.
 *
 *   node scripts/mutation/check-scores.mjs [module ...]                      (default: every module)
 *   node scripts/mutation/check-scores.mjs --report reports/mutation/combined.json [module ...]
 *                                                   (default: every module of the combined run)
 *   node scripts/mutation/check-scores.mjs --survivors jwt                   (list every survivor)
 *
 * Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EQUIVALENT_MUTANTS } from './equivalent-mutants.mjs';
import { COMBINED_MODULES, MODULES, PENDING_MODULES, moduleOfFile, reportPaths } from './modules.mjs';

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** The source text a mutant replaced (its location is 1-based lines, 1-based columns). */
function originalText(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
}

function scoreModule(name, report) {
  const counts = { detected: 0, undetected: 0, ignored: 0, equivalent: 0, other: 0 };
  const matched = new Set();
  const survivors = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      if (mutant.status === 'Ignored') {
        counts.ignored++;
        continue;
      }
      if (UNDETECTED.has(mutant.status)) {
        const original = originalText(source, mutant.location);
        const entry = EQUIVALENT_MUTANTS.find(
          (e) => e.file === file && e.mutator === mutant.mutatorName && e.original === original && e.replacement === mutant.replacement,
        );
        if (entry) {
          counts.equivalent++;
          matched.add(entry);
          continue;
        }
        counts.undetected++;
        survivors.push(`${file}:${mutant.location.start.line} ${mutant.mutatorName} ${mutant.status}: ${original.split('\n')[0]} -> ${(mutant.replacement ?? '').split('\n')[0]}`);
      } else if (DETECTED.has(mutant.status)) counts.detected++;
      else counts.other++; // CompileError, RuntimeError, Pending: not valid mutants
    }
  }
  const valid = counts.detected + counts.undetected;
  const score = valid === 0 ? 100 : (100 * counts.detected) / valid;
  return { name, score, counts, survivors, matched };
}

/** The module's part of a report: its files only. */
function moduleFiles(report, name) {
  return { files: Object.fromEntries(Object.entries(report.files).filter(([file]) => moduleOfFile(file) === name)) };
}

/** Counts as the scores table of docs/testing.md has them. */
function tally(report) {
  const counts = { mutants: 0, Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0 };
  for (const { mutants } of Object.values(report.files)) {
    for (const { status } of mutants) {
      counts.mutants++;
      if (status in counts) counts[status]++;
    }
  }
  return counts;
}

function main() {
  const args = process.argv.slice(2);
  const reportIndex = args.indexOf('--report');
  const combinedPath = reportIndex === -1 ? undefined : args[reportIndex + 1];
  const names = args.filter((arg, index) => !arg.startsWith('--') && (reportIndex === -1 || index !== reportIndex + 1));
  // A combined report holds the modules of `npm test`; the others have reports of their own.
  // Pending modules (no committed full run yet) are listed, never checked by default, never "ok".
  const modules = names.length > 0 ? names : combinedPath !== undefined ? COMBINED_MODULES : Object.keys(MODULES).filter((name) => !PENDING_MODULES.includes(name));
  const verbose = args.includes('--survivors');
  const table = args.includes('--table');
  let combined;
  if (combinedPath !== undefined) {
    if (!existsSync(combinedPath)) {
      console.error(`No report at ${combinedPath}: run npm run test:mutation -- --combined`);
      process.exit(1);
    }
    combined = JSON.parse(readFileSync(combinedPath, 'utf8'));
  }
  let failed = false;
  const matched = new Set();
  const checked = new Set();
  const rows = [];
  console.log('module       score     target  killed  survived  ignored  equivalent');
  for (const name of modules) {
    const module = MODULES[name];
    if (!module) {
      console.error(`Unknown mutation module "${name}"`);
      failed = true;
      continue;
    }
    let report;
    if (combined) report = moduleFiles(combined, name);
    else {
      const { json } = reportPaths(name);
      if (!existsSync(json)) {
        console.error(`${name.padEnd(11)}  no report (${json}): run npm run test:mutation -- ${name}`);
        failed = true;
        continue;
      }
      report = moduleFiles(JSON.parse(readFileSync(json, 'utf8')), name);
    }
    if (Object.keys(report.files).length === 0) {
      console.error(`${name.padEnd(11)}  no mutants of this module in the report`);
      failed = true;
      continue;
    }
    const result = scoreModule(name, report);
    for (const file of Object.keys(report.files)) checked.add(file);
    for (const entry of result.matched) matched.add(entry);
    const onTarget = result.score >= module.threshold;
    const ok = onTarget || (module.floor !== undefined && result.score >= module.floor);
    failed ||= !ok;
    const verdict = onTarget ? 'ok' : ok ? `below target (enforced floor ${module.floor})` : 'UNDER THRESHOLD';
    const { detected, undetected, ignored, equivalent } = result.counts;
    console.log(
      `${name.padEnd(11)} ${result.score.toFixed(1).padStart(6)} ${`>= ${module.threshold}`.padStart(10)} ${String(detected).padStart(7)} ${String(undetected).padStart(9)} ${String(ignored).padStart(8)} ${String(equivalent).padStart(11)}  ${verdict}`,
    );
    if (verbose || !ok) for (const line of result.survivors) console.log(`    ${line}`);
    rows.push({ name, score: result.score, threshold: module.threshold, floor: module.floor, equivalent, ...tally(report) });
  }
  if (table) {
    // The scores table of docs/testing.md (the run time is added by hand from run.mjs's output).
    console.log('\n| module | mutants | killed | timed out | survived | no coverage | ignored | equivalent | score | threshold |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const threshold = r.floor === undefined ? `${r.threshold} %` : `${r.threshold} % (missed; floor ${r.floor} %)`;
      console.log(`| ${r.name} | ${r.mutants} | ${r.Killed} | ${r.Timeout} | ${r.Survived} | ${r.NoCoverage} | ${r.Ignored} | ${r.equivalent} | ${r.score.toFixed(1)} % | ${threshold} |`);
    }
  }
  if (names.length === 0) {
    for (const name of PENDING_MODULES) console.log(`${name.padEnd(11)}  PENDING (not checked): ${MODULES[name].pending}`);
  }
  // An entry for a file that was checked but matching nothing is stale: the code changed, or a test now kills it.
  for (const entry of EQUIVALENT_MUTANTS) {
    if (checked.has(entry.file) && !matched.has(entry)) {
      console.error(`Stale equivalent-mutant entry (matches no surviving mutant): ${entry.file} ${entry.mutator} ${entry.original} -> ${entry.replacement}`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
