/**
 * The `dual-auth` command line (commander). `runCli(argv, io)` runs one command
 * and resolves to its exit code, so tests call it in-process.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import { DualAuthError } from '../errors.js';
import { LOCAL_IAM_VENDORS, isLocalIamVendor, type LocalIamVendor } from '../local-iam/profiles.js';
import { VERSION } from '../version.js';
import { doctorCommand } from './commands/doctor.js';
import { devIamCommand } from './commands/dev-iam.js';
import { keygenCommand } from './commands/keygen.js';
import { APP_SIGNING_ALGORITHMS, type AppSigningAlgorithm } from '../jwt/keys.js';
import { tokenCommand } from './commands/token.js';
import { DEMO_DELEGATIONS, runDemo, type DemoDelegation } from './demo/run-demo.js';
import { processIo, redact, type CliIo } from './io.js';

// `--env-file <path>` names the .env file doctor and token read; `--dotenv <path>`, its name in
// 1.0.0, stays as a hidden alias. dev-iam, which writes the file, keeps `--dotenv`: Node 20 takes
// `--env-file` anywhere on its command line as its own flag (also after the script name) and
// exits when the file does not exist yet.
const READ_ENV_FILE = 'read variables from this .env file (without it, no .env is read; at a terminal you are asked)';

function dotenvAlias(): Option {
  return new Option('--dotenv <path>').hideHelp();
}

function envFileOf(opts: { envFile?: string; dotenv?: string }): string | undefined {
  return opts.envFile ?? opts.dotenv;
}

function vendorOption(): Option {
  return new Option('--vendor <vendor>', 'IAM vendor profile').choices([...LOCAL_IAM_VENDORS]);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('must be a port number (0-65535).');
  return port;
}

function parseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new InvalidArgumentError('must be a positive number of milliseconds.');
  return ms;
}

export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('dual-auth')
    .description('Dual-subject tokens for AI agents: sub = the agent, act = the human.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
    })
    .exitOverride();

  program
    .command('demo')
    .description('run the whole flow locally: local IAM, demo API, in-session and out-of-session agents')
    .addOption(vendorOption().default('keycloak'))
    .addOption(
      new Option(
        '--delegation <delegation>',
        "who vouches for the person: the agent ('act', the reference), the IAM from the person's own token ('token-exchange') or the application's signed assertion ('assertion')",
      )
        .choices([...DEMO_DELEGATIONS])
        .default('act'),
    )
    .option('--json', 'print one JSON document')
    .action(async (opts: { vendor: LocalIamVendor; delegation: DemoDelegation; json?: boolean }) => {
      const result = await runDemo({ vendor: opts.vendor, delegation: opts.delegation, json: opts.json === true }, io);
      setExitCode(result.ok ? 0 : 1);
    });

  program
    .command('dev-iam')
    .description('run the local IAM and demo API for development and write a .env the examples read (Ctrl-C stops)')
    .addOption(vendorOption().default('keycloak'))
    .option('--port <port>', 'IAM port (default: any free port)', parsePort)
    .option('--api-port <port>', 'demo API port (default: any free port)', parsePort)
    .option('--dotenv <path>', 'where to write the variables', '.env')
    .option('--json', 'print one JSON document')
    .action(async (opts: { vendor: LocalIamVendor; port?: number; apiPort?: number; dotenv: string; json?: boolean }) => {
      setExitCode(await devIamCommand({ ...opts, envFile: opts.dotenv }, io));
    });

  program
    .command('keygen')
    .description("write the application's key pair that signs act JWTs and act assertions (private key mode 0600)")
    .option('--out <dir>', 'folder for app-private-key.pem and app-public-key.pem', '.')
    .addOption(new Option('--alg <alg>', 'signing algorithm: RSA-2048, EC P-256 or Ed25519 key').choices([...APP_SIGNING_ALGORITHMS]).default('RS256'))
    .option('--force', 'replace existing files')
    .option('--json', 'print one JSON document')
    .action(async (opts: { out: string; alg: AppSigningAlgorithm; force?: boolean; json?: boolean }) => {
      setExitCode(await keygenCommand(opts, io));
    });

  program
    .command('doctor')
    .description('check the configuration, the connection to the IAM and (optionally) a real token request')
    .option('--vendor <vendor>', 'override DUAL_AUTH_VENDOR')
    .option('--request-token', 'also request a token (placeholder act) and show its decoded claims')
    .option('--scope <scopes>', 'scopes for --request-token, space or comma separated', 'finance.read')
    .addOption(new Option('--env-file <path>', READ_ENV_FILE))
    .addOption(dotenvAlias())
    .option('--ca <file>', 'trust this CA certificate (PEM) in addition to NODE_EXTRA_CA_CERTS')
    .option('--timeout <ms>', 'network timeout', parseMs)
    .option('--json', 'print one JSON document')
    .action(async (opts: { vendor?: string; requestToken?: boolean; scope?: string; envFile?: string; dotenv?: string; ca?: string; timeout?: number; json?: boolean }) => {
      setExitCode(await doctorCommand({ ...opts, envFile: envFileOf(opts), ...(opts.timeout ? { timeoutMs: opts.timeout } : {}) }, io));
    });

  program
    .command('token')
    .description('request a dual-subject token for a user and print its decoded claims (never the token)')
    .requiredOption('--email <email>', "the user's email")
    .option('--user-id <id>', "the user's id in your IAM (act.sub; default: the email)")
    .option('--name <name>', "the user's display name")
    .option('--scope <scopes>', 'scopes, space or comma separated', 'finance.read')
    .option('--vendor <vendor>', 'override DUAL_AUTH_VENDOR')
    .addOption(new Option('--env-file <path>', READ_ENV_FILE))
    .addOption(dotenvAlias())
    .option('--ca <file>', 'trust this CA certificate (PEM)')
    .option('--timeout <ms>', 'network timeout', parseMs)
    .option('--json', 'print one JSON document')
    .action(async (opts: { email: string; userId?: string; name?: string; scope?: string; vendor?: string; envFile?: string; dotenv?: string; ca?: string; timeout?: number; json?: boolean }) => {
      setExitCode(await tokenCommand({ ...opts, envFile: envFileOf(opts), ...(opts.timeout ? { timeoutMs: opts.timeout } : {}) }, io));
    });

  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      return error.exitCode;
    }
    const message = error instanceof DualAuthError ? `${error.message} [${error.code}]` : `Unexpected error: ${(error as Error)?.name ?? 'Error'}`;
    io.stderr(redact(`✗ ${message}`));
    return 1;
  }
}

export { isLocalIamVendor };
