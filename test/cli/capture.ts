/** An in-memory CliIo: what a command printed, for assertions. */
import type { CliIo } from '../../src/cli/io.js';

export interface CapturedIo extends CliIo {
  out: string[];
  err: string[];
  /** stdout and stderr together, in order. */
  all(): string;
  stdoutText(): string;
}

export function captureIo(env: Record<string, string | undefined> = {}, cwd = process.cwd()): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  const both: string[] = [];
  return {
    out,
    err,
    env,
    cwd,
    stdout: (text) => {
      out.push(text);
      both.push(text);
    },
    stderr: (text) => {
      err.push(text);
      both.push(text);
    },
    all: () => both.join('\n'),
    stdoutText: () => out.join('\n'),
    untilInterrupted: () => Promise.resolve(),
  };
}
