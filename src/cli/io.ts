/**
 * Where the CLI writes and what it reads, injectable so the tests run commands
 * in-process. Everything printed goes through `redact()`: no secret or raw
 * token reaches the terminal even by mistake.
 */
import { createInterface } from 'node:readline/promises';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The environment commands read (default process.env). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Resolves when the user asks to stop (Ctrl-C); only long-running commands wait on it. */
  untilInterrupted?: () => Promise<void>;
  /** Asks a yes/no question; present only when a person is at a terminal (stdin and stderr are TTYs). */
  confirm?: (question: string) => Promise<boolean>;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    env: process.env,
    cwd: process.cwd(),
    untilInterrupted: () =>
      new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      }),
    ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: askOnTerminal } : {}),
  };
}

async function askOnTerminal(question: string): Promise<boolean> {
  // Asked on stderr, so that stdout (a --json document) stays clean.
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

// A compact JWS/JWT (three base64url parts) and long opaque base64url runs.
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/** Replaces JWTs and the given secrets in text. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(JWT_LIKE, '[redacted JWT]');
  for (const secret of secrets) {
    if (secret && secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** A printer bound to one command run: numbered steps, plain lines, and the JSON mode. */
export class Printer {
  readonly #io: CliIo;
  readonly #secrets: string[] = [];
  readonly json: boolean;

  constructor(io: CliIo, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** Values that must never be printed (client secrets and the like). */
  protect(...values: Array<string | undefined>): void {
    for (const value of values) if (value) this.#secrets.push(value);
  }

  line(text = ''): void {
    if (!this.json) this.#io.stdout(redact(text, this.#secrets));
  }

  error(text: string): void {
    this.#io.stderr(redact(text, this.#secrets));
  }

  /** The one JSON document of a --json run. */
  result(value: unknown): void {
    if (this.json) this.#io.stdout(redact(JSON.stringify(value, null, 2), this.#secrets));
  }
}
