/**
 * `dual-auth dev-iam`: the local IAM and the demo API for development. Writes a
 * .env with everything the examples read (getConfig's variables, the app key
 * pair, the CA file, API_URL), then runs until Ctrl-C. The .env holds the
 * agent's client secret; it is written mode 0600 and the secret is never printed.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';

import { DualAuthError } from '../../errors.js';
import { createDevCertificates } from '../../local-iam/certificates.js';
import { demoApiOptionsFor, startDemoApi, startLocalIam, writePrivateKeyFile, type LocalIamVendor } from '../../local-iam/index.js';
import { LOCAL_IAM_PEERS, requirePeers } from '../../local-iam/optional.js';
import { cliCommand } from '../invocation.js';
import { Printer, type CliIo } from '../io.js';

export interface DevIamOptions {
  vendor?: LocalIamVendor;
  port?: number;
  apiPort?: number;
  envFile?: string;
  json?: boolean;
}

export interface DevIamHandle {
  envFile: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts everything and writes the .env; the caller decides how long it runs. */
export async function startDevIam(options: DevIamOptions, io: CliIo): Promise<DevIamHandle> {
  const vendor = options.vendor ?? 'keycloak';
  const envFile = resolve(io.cwd, options.envFile ?? '.env');
  await refuseForeignEnvFile(envFile);
  await requirePeers(LOCAL_IAM_PEERS, 'dual-auth dev-iam');
  const certificates = await createDevCertificates();
  const iam = await startLocalIam({ vendor, certificates, ...(options.port !== undefined ? { port: options.port } : {}) });
  let api;
  try {
    api = await startDemoApi({ ...demoApiOptionsFor(iam, certificates), ...(options.apiPort !== undefined ? { port: options.apiPort } : {}) });
  } catch (error) {
    await iam.close();
    throw error;
  }
  const env: Record<string, string> = { ...iam.env, API_URL: api.reportUrl };
  const lines = [
    `${HEADER} --vendor ${vendor}\` at ${new Date().toISOString()}.`,
    '# Valid while that process runs: the ports, keys and the client secret change on every start.',
    ...Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`),
    '',
  ];
  // It holds the client secret: written 0600 even when a .env already exists.
  await writePrivateKeyFile(envFile, lines.join('\n'), { overwrite: true });
  return {
    envFile,
    env,
    stop: async () => {
      await Promise.allSettled([api.close(), iam.close()]);
    },
  };
}

export async function devIamCommand(options: DevIamOptions, io: CliIo): Promise<number> {
  const out = new Printer(io, options.json === true);
  const handle = await startDevIam(options, io);
  out.protect(handle.env.AGENT_CLIENT_SECRET);
  const vendor = handle.env.DUAL_AUTH_VENDOR ?? 'keycloak';
  const tokenUrlKey = `${vendor.toUpperCase()}_TOKEN_URL`;
  out.line(`Local IAM (${vendor} profile) and demo API are running.`);
  out.line(`  token URL   ${handle.env[tokenUrlKey]}`);
  out.line(`  JWKS        ${handle.env.DUAL_AUTH_JWKS_URI}`);
  out.line(`  API         ${handle.env.API_URL}`);
  out.line(`  agent       ${handle.env.AGENT_CLIENT_ID} (secret in the env file)`);
  out.line(`  CA          ${handle.env.NODE_EXTRA_CA_CERTS}`);
  out.line(`  env file    ${handle.envFile} (mode 0600)`);
  out.line('');
  out.line(`Try: ${cliCommand(io, `doctor --env-file ${envFileArgument(io.cwd, handle.envFile)} --request-token`)}   |   stop with Ctrl-C`);
  out.result({
    ok: true,
    vendor,
    envFile: handle.envFile,
    tokenUrl: handle.env[tokenUrlKey],
    jwksUri: handle.env.DUAL_AUTH_JWKS_URI,
    apiUrl: handle.env.API_URL,
    caCertPath: handle.env.NODE_EXTRA_CA_CERTS,
  });
  await (io.untilInterrupted?.() ?? Promise.resolve());
  await handle.stop();
  out.line('Stopped.');
  return 0;
}

/** The env file as the user would type it from the working folder. */
function envFileArgument(cwd: string, envFile: string): string {
  const path = relative(cwd, envFile);
  const typed = path.startsWith('..') || isAbsolute(path) ? envFile : path;
  return /^[A-Za-z0-9_./:@+-]+$/.test(typed) ? typed : JSON.stringify(typed);
}

const HEADER = '# Written by `dual-auth dev-iam';

/**
 * The .env a project already has (its own settings, a copy of .env.example) is not replaced:
 * only a file an earlier dev-iam wrote, whose values are stale once that process ended, or an
 * empty one (the guide's `touch .env`).
 */
async function refuseForeignEnvFile(envFile: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(envFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (text.trim() === '' || text.startsWith(HEADER)) return;
  throw new DualAuthError(
    `${envFile} exists and was not written by dual-auth dev-iam: not replacing it. Name another file with --dotenv (e.g. --dotenv .env.local-iam, then --env-file .env.local-iam), or move yours away`,
    'ERR_INVALID_ARGUMENT',
  );
}

/** dotenv-style double-quoted value when needed. */
function quote(value: string): string {
  return /^[A-Za-z0-9_./:@+-]*$/.test(value) ? value : JSON.stringify(value);
}
