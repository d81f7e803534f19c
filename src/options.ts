/**
 * One set of checks for the numeric and duration options of every public
 * constructor and call: the HTTP client (and so adapters and API calls), the
 * token handlers and caches, the replay cache, the verifier, the sender's ttl,
 * the local IAM. A bad value, however it came (`Number(process.env.UNSET)` is
 * NaN, and a NaN tolerance would switch every exp check off), throws a
 * ConfigurationError (`ERR_CONFIGURATION`) that names the option:
 * `"clockToleranceSeconds" must be a finite number >= 0`.
 *
 * Hand-written rather than zod schemas: these checks run in synchronous
 * constructors, so zod could not be loaded lazily, and importing it cost ~70 ms
 * of CPU at start-up, three times openid-client's whole import (issue 13,
 * docs/performance.md). The rules are four comparisons.
 */
import { ConfigurationError } from './errors.js';

/** What a numeric option must be: a predicate (only ever given finite numbers) and the words for the message. */
export interface NumberRule {
  readonly accepts: (value: number) => boolean;
  readonly text: string;
}

/** Tolerances, backoff, cooldowns: 0 allowed. */
export const NON_NEGATIVE: NumberRule = { accepts: (v) => v >= 0, text: 'a finite number >= 0' };
/** Timeouts, lifetimes, ages: more than 0. */
export const POSITIVE: NumberRule = { accepts: (v) => v > 0, text: 'a finite number > 0' };
/** Sizes and counts. */
export const POSITIVE_INTEGER: NumberRule = { accepts: (v) => Number.isInteger(v) && v >= 1, text: 'an integer >= 1' };

/** An integer from `min` to `max`, both included. */
export function integerBetween(min: number, max: number): NumberRule {
  return { accepts: (v) => Number.isInteger(v) && v >= min && v <= max, text: `an integer from ${min} to ${max}` };
}

/**
 * `value` when it is a finite number that satisfies `rule`; `fallback` when it is undefined; else a
 * ConfigurationError naming `name`. NaN, ±Infinity and anything that is not a number (a numeric string,
 * null, a boxed Number) are refused whatever the rule.
 */
export function numberOption(name: string, value: unknown, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !rule.accepts(value)) throw new ConfigurationError(`"${name}" must be ${rule.text}`);
  return value;
}
