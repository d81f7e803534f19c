/**
 * One set of checks for the numeric and duration options of every public
 * constructor and call: the HTTP client (and so adapters and API calls), the
 * token handlers and caches, the replay cache, the verifier, the sender's ttl,
 * the local IAM. A bad value, however it came (`Number(process.env.UNSET)` is
 * NaN, and a NaN tolerance would switch every exp check off), throws a
 * ConfigurationError (`ERR_CONFIGURATION`) that names the option:
 * `"clockToleranceSeconds" must be a finite number >= 0`.
 */
import { z } from 'zod';
import { ConfigurationError } from './errors.js';

/** What a numeric option must be: a zod schema and the words for the message. */
export interface NumberRule {
  readonly schema: z.ZodType<number>;
  readonly text: string;
}

// zod 4's z.number() refuses NaN and ±Infinity, and anything that is not a number.
/** Tolerances, backoff, cooldowns: 0 allowed. */
export const NON_NEGATIVE: NumberRule = { schema: z.number().min(0), text: 'a finite number >= 0' };
/** Timeouts, lifetimes, ages: more than 0. */
export const POSITIVE: NumberRule = { schema: z.number().gt(0), text: 'a finite number > 0' };
/** Sizes and counts. */
export const POSITIVE_INTEGER: NumberRule = { schema: z.number().int().min(1), text: 'an integer >= 1' };

/** An integer from `min` to `max`, both included. */
export function integerBetween(min: number, max: number): NumberRule {
  return { schema: z.number().int().min(min).max(max), text: `an integer from ${min} to ${max}` };
}

/** `value` when it satisfies `rule`; `fallback` when it is undefined; else a ConfigurationError naming `name`. */
export function numberOption(name: string, value: unknown, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const parsed = rule.schema.safeParse(value);
  if (!parsed.success) throw new ConfigurationError(`"${name}" must be ${rule.text}`);
  return parsed.data;
}
