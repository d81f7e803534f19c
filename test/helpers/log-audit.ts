/**
 * Log audit, loaded by vitest as a setup file for every test file of `npm test`.
 * It captures every log line (loggers made with `auditLogger()` and the console)
 * and every error message handed to `audited()`, and after each file fails if
 * any known secret, token, assertion, email or name appears in them.
 */
import { afterAll, expect } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import type { Logger } from '../../src/logging.js';

const lines: string[] = [];
const sensitive = new Set<string>();

/** Values that must never reach a log line or an error message. */
export function markSensitive(...values: Array<string | undefined>): void {
  for (const value of values) if (value && value.length >= 4) sensitive.add(value);
}

/** A pino-compatible logger that records everything it is given. */
export function auditLogger(): Logger & { lines: string[] } {
  const own: string[] = [];
  const record = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    const line = `${level} ${safeJson(obj)} ${msg ?? ''}`;
    own.push(line);
    lines.push(line);
  };
  return { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error'), lines: own };
}

/**
 * Records an error's message and string form for the audit, and those of every
 * DualAuthError in its cause chain (foreign causes are the caller's own errors); returns the error.
 */
export function audited<T>(error: T): T {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (depth === 0 || current instanceof DualAuthError) lines.push(`error ${current.name}: ${current.message} | ${String(current)}`);
    current = current.cause;
  }
  return error;
}

/** Awaits a promise that must reject; returns the (audited) error. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; statusCode?: number }> {
  try {
    await promise;
  } catch (error) {
    return audited(error as Error & { code?: string });
  }
  throw new Error('expected a rejection');
}

/** Runs a function that must throw; returns the (audited) error. */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return audited(error as Error & { code?: string });
  }
  throw new Error('expected a throw');
}

for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    lines.push(`console.${level} ${args.map((arg) => (typeof arg === 'string' ? arg : safeJson(arg))).join(' ')}`);
    original(...args);
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function auditedLineCount(): number {
  return lines.length;
}

afterAll(() => {
  const leaks: string[] = [];
  for (const line of lines) for (const value of sensitive) if (line.includes(value)) leaks.push(`${value.slice(0, 6)}… in: ${line.slice(0, 160)}`);
  expect(leaks, 'sensitive values in logs or error messages').toEqual([]);
});
