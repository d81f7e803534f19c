#!/usr/bin/env node
/**
 * Per-module mutation score check (Stryker's `thresholds.break` is one global number).
 * Reads each module's JSON report (reports/mutation/<module>.json, mutation-testing-report-schema),
 * leaves out the ignored mutants (named rules: log-lines, static) and the equivalent mutants
 * listed in scripts/mutation/equivalent-mutants.mjs, and fails when a module scores under its
 * threshold, when a report is missing, or when an equivalent entry matches no surviving mutant.
 *
 *   node scripts/mutation/check-scores.mjs [module ...]   (default: every module)
 *
 * Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EQUIVALENT_MUTANTS } from './equivalent-mutants.mjs';
import { MODULES, reportPaths } from './modules.mjs';

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

function main() {
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const modules = names.length > 0 ? names : Object.keys(MODULES);
  const verbose = process.argv.includes('--survivors');
  let failed = false;
  const matched = new Set();
  const checked = new Set();
  console.log('module       score  threshold  killed  survived  ignored  equivalent');
  for (const name of modules) {
    const module = MODULES[name];
    if (!module) {
      console.error(`Unknown mutation module "${name}"`);
      failed = true;
      continue;
    }
    const { json } = reportPaths(name);
    if (!existsSync(json)) {
      console.error(`${name.padEnd(11)}  no report (${json}): run npm run test:mutation -- ${name}`);
      failed = true;
      continue;
    }
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const result = scoreModule(name, report);
    for (const file of Object.keys(report.files)) checked.add(file);
    for (const entry of result.matched) matched.add(entry);
    const ok = result.score >= module.threshold;
    failed ||= !ok;
    const { detected, undetected, ignored, equivalent } = result.counts;
    console.log(
      `${name.padEnd(11)} ${result.score.toFixed(1).padStart(6)} ${`>= ${module.threshold}`.padStart(10)} ${String(detected).padStart(7)} ${String(undetected).padStart(9)} ${String(ignored).padStart(8)} ${String(equivalent).padStart(11)}  ${ok ? 'ok' : 'UNDER THRESHOLD'}`,
    );
    if (verbose || !ok) for (const line of result.survivors) console.log(`    ${line}`);
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
