/**
 * What the config-reading commands (doctor, token) share: the environment
 * (process env + an optional .env file), the trusted CA, and the library's
 * configuration loader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';
import { parseEnv } from 'node:util';

import { DualAuthError } from '../errors.js';
import type { CliIo, Printer } from './io.js';

export interface EnvOptions {
  /**
   * A .env file to read (`--env-file`). Without it, no .env is read: a .env in the working
   * folder may come from anyone (a cloned repository, a shared folder) and would choose the
   * CA to trust and where the client secret goes. At a terminal the user is asked first.
   */
  envFile?: string;
}

const DEFAULT_ENV_FILE = '.env';

/**
 * The environment a command reads: variables already set win over the .env
 * file, as with dotenv. An explicitly named file that does not exist is an error.
 */
export async function loadEnvironment(options: EnvOptions, io: CliIo, out: Pick<Printer, 'error'>): Promise<Record<string, string | undefined>> {
  let path: string;
  if (options.envFile !== undefined) {
    path = resolve(io.cwd, options.envFile);
    if (!existsSync(path)) throw new DualAuthError(`The env file ${path} does not exist`, 'ERR_CONFIGURATION');
  } else {
    path = resolve(io.cwd, DEFAULT_ENV_FILE);
    if (!existsSync(path)) return { ...io.env };
    const allowed = (await io.confirm?.(`Read the variables in ${path}? It sets which IAM this command talks to and which CA it trusts.`)) === true;
    if (!allowed) {
      out.error(`Note: ${path} was not read. To use it: --env-file ${DEFAULT_ENV_FILE}`);
      return { ...io.env };
    }
  }
  const fromFile = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  const merged: Record<string, string | undefined> = { ...fromFile, ...definedOnly(io.env) };
  // A CA named in .env must be trusted even when the shell sets its own NODE_EXTRA_CA_CERTS
  // (many machines point it at the system bundle): keep both, loadCa reads each.
  const fileCa = fromFile.NODE_EXTRA_CA_CERTS;
  if (fileCa && io.env.NODE_EXTRA_CA_CERTS && fileCa !== io.env.NODE_EXTRA_CA_CERTS) {
    merged.NODE_EXTRA_CA_CERTS = [io.env.NODE_EXTRA_CA_CERTS, fileCa].join(delimiter);
  }
  return merged;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * The CAs to trust: --ca and the file(s) NODE_EXTRA_CA_CERTS names. Node reads
 * NODE_EXTRA_CA_CERTS only at start-up, so a value from .env is applied here.
 */
export function loadCa(caPath: string | undefined, env: Record<string, string | undefined>, io: CliIo): string | undefined {
  const paths = [caPath, ...(env.NODE_EXTRA_CA_CERTS ?? '').split(delimiter)].filter((path): path is string => Boolean(path));
  if (paths.length === 0) return undefined;
  return [...new Set(paths)]
    .map((path) => {
      const full = resolve(io.cwd, path);
      try {
        return readFileSync(full, 'utf8');
      } catch (cause) {
        throw new DualAuthError(`The CA file ${full} cannot be read`, 'ERR_CONFIGURATION', { cause });
      }
    })
    .join('\n');
}
