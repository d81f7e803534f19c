/**
 * What every example shares: the .env file (as the Python guide's
 * `load_dotenv()`), the private CA to trust, the TLS certificate of the
 * example servers, and a console logger that prints the library's events.
 *
 * Nothing here is part of the dual-auth package: it is example plumbing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/** NODE_EXTRA_CA_CERTS as written in .env (it may differ from the one the shell already set). */
let dotEnvCaPath: string | undefined;

/**
 * Loads `.env` from the working directory (or ENV_FILE) into process.env.
 * Variables already set win, as with python-dotenv's `load_dotenv()`.
 */
export function loadDotEnv(): void {
  const path = resolve(process.env.ENV_FILE ?? '.env');
  if (!existsSync(path)) return;
  process.loadEnvFile(path);
  dotEnvCaPath = parseEnv(readFileSync(path, 'utf8')).NODE_EXTRA_CA_CERTS;
}

/** A required variable, or a clear message naming it (never its value). */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable '${name}' is required (see examples/README.md)`);
  return value;
}

/**
 * The private CA(s) to trust, as PEM, or undefined for the public roots only.
 *
 * Why not just NODE_EXTRA_CA_CERTS? Node reads it once at start-up, so a value
 * that comes from `.env` (loaded after start-up) would be ignored, and a value
 * the shell already set wins over `.env` (dotenv rule). So we read the files
 * named in both places and hand them to the library through the `ca` option,
 * which keeps the public roots trusted too. Certificate checks stay on.
 */
export function trustedCa(): string[] | undefined {
  const paths = [...new Set([process.env.NODE_EXTRA_CA_CERTS, dotEnvCaPath].filter((path): path is string => Boolean(path)))];
  if (paths.length === 0) return undefined;
  return paths.map((path) => {
    try {
      return readFileSync(resolve(path), 'utf8');
    } catch {
      throw new Error(`NODE_EXTRA_CA_CERTS names a file that cannot be read: ${path}`);
    }
  });
}

/** The TLS certificate and key of an example's HTTPS server (TLS_CERT_PATH, TLS_KEY_PATH). */
export function serverTls(): { cert: string; key: string } {
  const certPath = process.env.TLS_CERT_PATH;
  const keyPath = process.env.TLS_KEY_PATH;
  if (!certPath || !keyPath) {
    throw new Error(
      'TLS_CERT_PATH and TLS_KEY_PATH are required: the example servers speak HTTPS only. ' +
        'Run `npx tsx examples/dev-tls.ts` to make a local certificate (see examples/README.md).',
    );
  }
  return { cert: readFileSync(resolve(certPath), 'utf8'), key: readFileSync(resolve(keyPath), 'utf8') };
}

/** The port to listen on: PORT, else `fallback` (0 = any free port). */
export function listenPort(fallback: number): number {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be 0..65535, got ${JSON.stringify(raw)}`);
  return port;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];

/**
 * A pino-compatible logger writing one JSON line per event to stderr (stdout
 * stays for the example's own output). LOG_LEVEL: debug | info (default) | warn | error | silent.
 * The library only ever passes IAM identifiers and metadata: no email, name, secret or token.
 */
export function consoleLogger(name: string): Record<Level, (obj: Record<string, unknown>, msg?: string) => void> {
  const wanted = (process.env.LOG_LEVEL ?? 'info').toLowerCase();
  const min = wanted === 'silent' ? LEVELS.length : Math.max(0, LEVELS.indexOf(wanted as Level));
  const write = (level: Level) => (obj: Record<string, unknown>, msg?: string) => {
    if (LEVELS.indexOf(level) < min) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, logger: name, msg, ...obj })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
