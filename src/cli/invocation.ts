/**
 * How the user runs `dual-auth` from where they are, so that every command the
 * CLI prints (the dev-iam banner, the fixes doctor suggests) works when pasted.
 * `npx dual-auth` in a clone of this repository finds no bin and goes to the
 * registry; `npm run dual-auth --` outside it fails. So look, don't guess:
 *
 * 1. the working folder is inside a checkout of dual-auth (its package.json has
 *    the `dual-auth` script): `npm run dual-auth --`;
 * 2. a project above the working folder has the bin in node_modules/.bin: `npx dual-auth`;
 * 3. `dual-auth` is on PATH (a global install): `dual-auth`;
 * 4. otherwise this very version from the registry: `npx dual-auth@<version>`.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

import { VERSION } from '../version.js';
import type { CliIo } from './io.js';

const NAME = 'dual-auth';

/** The command prefix to print before a sub-command, e.g. `npm run dual-auth --` + ` doctor`. */
export function cliInvocation(io: Pick<CliIo, 'cwd' | 'env'>): string {
  for (const dir of ancestors(resolve(io.cwd))) {
    if (isCheckout(dir)) return `npm run ${NAME} --`;
    if (isExecutable(join(dir, 'node_modules', '.bin', NAME))) return `npx ${NAME}`;
  }
  const path = io.env.PATH ?? '';
  if (path.split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, NAME)))) return NAME;
  return `npx ${NAME}@${VERSION}`;
}

/** `cliInvocation(io)` followed by `args`: a whole command line to print. */
export function cliCommand(io: Pick<CliIo, 'cwd' | 'env'>, args: string): string {
  return `${cliInvocation(io)} ${args}`;
}

function* ancestors(start: string): Generator<string> {
  let dir = start;
  for (;;) {
    yield dir;
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function isCheckout(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; scripts?: Record<string, unknown> };
    return pkg.name === NAME && typeof pkg.scripts?.[NAME] === 'string';
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
