/**
 * Provisions a local Keycloak for development and the Keycloak test suite:
 * fetches keycloak-quarkus-dist from Maven Central (cached in ~/.m2 and
 * .cache/keycloak), builds the dual-auth act mapper, makes a private CA and a
 * server certificate, starts Keycloak in dev mode over HTTPS only on
 * 127.0.0.1:18443 with the checked-in realm, waits until the realm answers, and
 * writes .keycloak.env. Idempotent: a healthy running instance is reused.
 *
 * Used by scripts/keycloak/start.ts, stop.ts and test/keycloak/global-setup.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync, rmSync, openSync, closeSync, chmodSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevCertificates } from '../../src/local-iam/certificates.js';

export const KEYCLOAK_VERSION = '26.7.3';
export const KEYCLOAK_HOST = '127.0.0.1';
export const KEYCLOAK_PORT = 18443;
export const REALM = 'dual-auth';
/** Keycloak 26.7 supports OpenJDK 17, 21 and 25; tested here with 17 (the default JDK). */
export const MIN_JAVA_MAJOR = 17;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const paths = {
  root: ROOT,
  cache: join(ROOT, '.cache/keycloak'),
  home: join(ROOT, `.cache/keycloak/keycloak-${KEYCLOAK_VERSION}`),
  tls: join(ROOT, '.cache/keycloak/tls'),
  caCert: join(ROOT, '.cache/keycloak/tls/ca.pem'),
  serverCert: join(ROOT, '.cache/keycloak/tls/server.pem'),
  serverKey: join(ROOT, '.cache/keycloak/tls/server-key.pem'),
  pidFile: join(ROOT, '.cache/keycloak/keycloak.pid'),
  fingerprint: join(ROOT, '.cache/keycloak/keycloak.fingerprint'),
  log: join(ROOT, '.cache/keycloak/keycloak.log'),
  envFile: join(ROOT, '.keycloak.env'),
  realmJson: join(ROOT, 'integrations/keycloak/realm-dual-auth.json'),
  mapperDir: join(ROOT, 'integrations/keycloak-act-mapper'),
  mapperJar: join(ROOT, 'integrations/keycloak-act-mapper/target/dual-auth-keycloak-act-mapper.jar'),
};

export const baseUrl = `https://${KEYCLOAK_HOST}:${KEYCLOAK_PORT}`;
export const realmUrl = `${baseUrl}/realms/${REALM}`;

/** Dev-only bootstrap admin of the master realm (admin console at ${baseUrl}/admin/). */
export const DEV_ADMIN = { username: 'admin', password: 'dev-only-admin-password' } as const;

export interface KeycloakEnv {
  DUAL_AUTH_VENDOR: 'keycloak';
  KEYCLOAK_TOKEN_URL: string;
  KEYCLOAK_ISSUER: string;
  KEYCLOAK_JWKS_URL: string;
  KEYCLOAK_API_AUDIENCE: string;
  AGENT_CLIENT_ID: string;
  AGENT_CLIENT_SECRET: string;
  TEST_USER_ID: string;
  TEST_USER_EMAIL: string;
  /** The public login client (direct access grants) the test user signs in with: their own token, addressed to the agent. */
  USER_LOGIN_CLIENT_ID: string;
  TEST_USER_USERNAME: string;
  /** Dev-only password of the test user (checked-in realm). */
  TEST_USER_PASSWORD: string;
  NODE_EXTRA_CA_CERTS: string;
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

type Log = (line: string) => void;

export interface EnsureResult {
  env: KeycloakEnv;
  /** true when this call started Keycloak (false: a running instance was reused). */
  started: boolean;
  pid: number;
}

/** Starts Keycloak unless a healthy instance runs, then (re)writes .keycloak.env. */
export async function ensureKeycloak(log: Log = () => {}, timeoutMs = 300_000): Promise<EnsureResult> {
  let running = readPid();
  if (running !== undefined && isAlive(running) && readFileOr(paths.fingerprint) !== fingerprint()) {
    // The realm export or the mapper changed since this instance started: it would serve stale settings.
    log(`realm or act mapper changed since Keycloak (pid ${running}) started: restarting it`);
    await stopKeycloak(log);
    running = undefined;
  }
  if (running !== undefined && isAlive(running)) {
    // Started by someone else moments ago: wait for it rather than start a second one.
    if (await waitHealthy(running, Math.min(timeoutMs, 240_000), log)) {
      log(`Keycloak already running (pid ${running})`);
      return { env: writeEnvFile(), started: false, pid: running };
    }
    throw new ProvisionError(`Keycloak (pid ${running}) is running but not healthy; see ${paths.log} or run npm run keycloak:stop`);
  }
  rmSync(paths.pidFile, { force: true });

  const foreign = await foreignKeycloak();
  if (foreign) {
    // Another checkout of this project (another engineer's worktree) runs it: share it, never stop it.
    log(`Keycloak of ${foreign.checkout} already running (pid ${foreign.pid}): reusing it`);
    return { env: writeEnvFile(foreign.caCert), started: false, pid: foreign.pid };
  }

  const java = checkJava();
  checkMaven();
  if (await portAnswers()) {
    throw new ProvisionError(`port ${KEYCLOAK_PORT} on ${KEYCLOAK_HOST} is taken by another process (not started by this project)`);
  }

  await fetchDistribution(log);
  buildMapper(log);
  installProviderAndRealm();
  await writeCertificates();

  const pid = startProcess(java);
  writeFileSync(paths.fingerprint, fingerprint());
  log(`Keycloak ${KEYCLOAK_VERSION} starting (pid ${pid}), log: ${paths.log}`);
  if (!(await waitHealthy(pid, timeoutMs, log))) {
    const alive = isAlive(pid);
    if (alive) stopPid(pid);
    rmSync(paths.pidFile, { force: true });
    throw new ProvisionError(
      `Keycloak did not become ready (${alive ? `timeout after ${timeoutMs / 1000}s` : 'process exited'}). Last log lines:\n${tailLog(40)}`,
    );
  }
  return { env: writeEnvFile(), started: true, pid };
}

/** Stops the instance of the pid file. Returns false when none was running. */
export async function stopKeycloak(log: Log = () => {}): Promise<boolean> {
  const pid = readPid();
  if (pid === undefined || !isAlive(pid)) {
    rmSync(paths.pidFile, { force: true });
    return false;
  }
  log(`stopping Keycloak (pid ${pid})`);
  stopPid(pid);
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(200);
  if (isAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    for (let i = 0; i < 25 && isAlive(pid); i++) await sleep(200);
  }
  rmSync(paths.pidFile, { force: true });
  return true;
}

// ---------------------------------------------------------------- tools

function checkJava(): string {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin/java') : 'java';
  const out = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) {
    throw new ProvisionError(
      `Java not found (${java}). Keycloak ${KEYCLOAK_VERSION} needs JDK ${MIN_JAVA_MAJOR}, 21 or 25: install one (apt-get install openjdk-17-jdk-headless) or set JAVA_HOME`,
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(out.stderr + out.stdout);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0;
  if (major < MIN_JAVA_MAJOR) {
    throw new ProvisionError(`Java ${major} found at ${java}; Keycloak ${KEYCLOAK_VERSION} needs Java ${MIN_JAVA_MAJOR} or newer (set JAVA_HOME)`);
  }
  return java;
}

function checkMaven(): void {
  const out = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) {
    throw new ProvisionError('Maven (mvn) not found on PATH: install it (apt-get install maven); it fetches Keycloak and builds the act mapper');
  }
}

function mvn(args: string[], cwd: string, what: string): void {
  const out = spawnSync('mvn', ['-B', '-q', ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) {
    const tail = `${out.stdout}\n${out.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new ProvisionError(`${what} failed (mvn ${args.join(' ')}):\n${tail}`);
  }
}

// ---------------------------------------------------------------- distribution, mapper, realm

async function fetchDistribution(log: Log): Promise<void> {
  if (existsSync(join(paths.home, 'bin/kc.sh')) && existsSync(join(paths.home, 'lib/quarkus-run.jar'))) return;
  mkdirSync(paths.cache, { recursive: true });
  const zip = join(paths.cache, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`);
  log(`fetching org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION} (zip, ~170 MB) with Maven (cached in the local Maven repository)`);
  // Run in the mapper module: its pom pins the dependency plugin version. Honours MAVEN_OPTS / settings.xml.
  mvn(
    ['dependency:copy', `-Dartifact=org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip`, `-DoutputDirectory=${paths.cache}`],
    paths.mapperDir,
    'fetching Keycloak',
  );
  log(`unpacking Keycloak into ${paths.cache}`);
  rmSync(paths.home, { recursive: true, force: true });
  const unzip = spawnSync('unzip', ['-q', '-o', zip, '-d', paths.cache], { encoding: 'utf8' });
  if (unzip.error) {
    // No unzip: the JDK's jar tool extracts zips too (without file modes, fixed below).
    const jar = spawnSync('jar', ['xf', zip], { cwd: paths.cache, encoding: 'utf8' });
    if (jar.status !== 0) throw new ProvisionError(`cannot unpack ${zip}: ${jar.stderr || jar.error}`);
  } else if (unzip.status !== 0) {
    throw new ProvisionError(`cannot unpack ${zip}: ${unzip.stderr}`);
  }
  rmSync(zip, { force: true }); // the local Maven repository keeps the download
  for (const f of readdirSync(join(paths.home, 'bin'))) {
    if (f.endsWith('.sh')) chmodSync(join(paths.home, 'bin', f), 0o755);
  }
}

/** Hash of what the running server was started from: the realm export and the mapper's sources. */
function fingerprint(): string {
  const hash = createHash('sha256').update(readFileSync(paths.realmJson));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === 'target') continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else hash.update(p).update(readFileSync(p));
    }
  };
  walk(paths.mapperDir);
  return hash.digest('hex');
}

function readFileOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'target') continue;
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function buildMapper(log: Log): void {
  if (existsSync(paths.mapperJar) && statSync(paths.mapperJar).mtimeMs >= newestMtime(paths.mapperDir)) return;
  log('building the act mapper (mvn package)');
  try {
    mvn(['-o', 'package'], paths.mapperDir, 'building the act mapper offline');
  } catch {
    mvn(['package'], paths.mapperDir, 'building the act mapper');
  }
}

function installProviderAndRealm(): void {
  const providers = join(paths.home, 'providers');
  mkdirSync(providers, { recursive: true });
  // Copy only on change: a touched provider jar makes Keycloak rebuild itself (~40 s).
  copyIfChanged(paths.mapperJar, join(providers, 'dual-auth-keycloak-act-mapper.jar'));
  const importDir = join(paths.home, 'data/import');
  mkdirSync(importDir, { recursive: true });
  copyFileSync(paths.realmJson, join(importDir, 'realm-dual-auth.json'));
}

function copyIfChanged(from: string, to: string): void {
  if (existsSync(to) && readFileSync(from).equals(readFileSync(to))) return;
  copyFileSync(from, to);
}

async function writeCertificates(): Promise<void> {
  // A new CA per start: nothing outlives the server it was made for.
  const certs = await createDevCertificates({ days: 30, commonName: 'dual-auth Keycloak dev CA' });
  mkdirSync(paths.tls, { recursive: true });
  writeFileSync(paths.caCert, certs.caCert);
  writeFileSync(paths.serverCert, certs.cert);
  writeFileSync(paths.serverKey, certs.key, { mode: 0o600 });
}

// ---------------------------------------------------------------- process

function startProcess(java: string): number {
  mkdirSync(paths.cache, { recursive: true });
  const out = openSync(paths.log, 'w');
  const args = [
    join(paths.home, 'bin/kc.sh'),
    // Production mode (`start`), not `start-dev`: dev mode always opens plain HTTP on 8080.
    'start',
    '--db=dev-mem', // fresh in-memory database: the checked-in realm is imported on every start
    '--cache=local', // one node: no cluster discovery
    '--import-realm',
    '--http-enabled=false',
    `--http-host=${KEYCLOAK_HOST}`,
    `--https-port=${KEYCLOAK_PORT}`,
    `--https-certificate-file=${paths.serverCert}`,
    `--https-certificate-key-file=${paths.serverKey}`,
    `--hostname=${baseUrl}`,
    '--health-enabled=false',
    '--metrics-enabled=false',
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Modest heap: other servers share the 2-core machine.
    JAVA_OPTS_KC_HEAP: '-Xms64m -Xmx768m',
    KC_BOOTSTRAP_ADMIN_USERNAME: DEV_ADMIN.username,
    KC_BOOTSTRAP_ADMIN_PASSWORD: DEV_ADMIN.password,
  };
  if (java !== 'java') env.JAVA = java;
  const child = spawn('bash', args, { cwd: paths.home, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new ProvisionError('could not spawn Keycloak');
  child.unref();
  writeFileSync(paths.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** The pid of the pid file, if that process is still our Keycloak (a stale pid may belong to anything now). */
function readPid(): number | undefined {
  if (!existsSync(paths.pidFile)) return undefined;
  const pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(paths.home)) return undefined;
  } catch {
    return undefined; // gone
  }
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) still answers signal 0.
  try {
    return !/^\S+\s+\S+\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));
  } catch {
    return true;
  }
}

/** kc.sh was started as a process-group leader: signal the group (kc.sh and its java). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function stopPid(pid: number): void {
  signalGroup(pid, 'SIGTERM');
}

function tailLog(lines: number): string {
  try {
    return readFileSync(paths.log, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- health

function get(url: string, ca: string | undefined, timeoutMs = 5_000): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { method: 'GET', ca, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** true when something accepts TLS connections on the Keycloak port (whatever its certificate). */
function portAnswers(): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    import('node:net').then(({ connect }) => {
      const socket = connect({ host: KEYCLOAK_HOST, port: KEYCLOAK_PORT });
      socket.setTimeout(1_000);
      socket.on('connect', () => {
        socket.destroy();
        resolveAnswer(true);
      });
      socket.on('timeout', () => {
        socket.destroy();
        resolveAnswer(false);
      });
      socket.on('error', () => resolveAnswer(false));
    });
  });
}

export async function isHealthy(caCert = paths.caCert): Promise<boolean> {
  if (!existsSync(caCert)) return false;
  try {
    return (await get(`${realmUrl}/.well-known/openid-configuration`, readFileSync(caCert, 'utf8'))) === 200;
  } catch {
    return false;
  }
}

/**
 * A healthy Keycloak on our port started by another checkout of this project (its command
 * line names `<checkout>/.cache/keycloak/keycloak-<version>`), with that checkout's CA.
 */
async function foreignKeycloak(): Promise<{ pid: number; checkout: string; caCert: string } | undefined> {
  const marker = `/.cache/keycloak/keycloak-${KEYCLOAK_VERSION}/`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const home = /-Dkc\.home\.dir=([^\0]+)/.exec(cmdline)?.[1];
    if (!home?.includes(marker) || !cmdline.includes(`--https-port=${KEYCLOAK_PORT}`)) continue;
    const checkout = home.slice(0, home.indexOf(marker));
    if (checkout === ROOT) continue;
    const caCert = join(checkout, '.cache/keycloak/tls/ca.pem');
    if (await isHealthy(caCert)) return { pid: Number(entry), checkout, caCert };
  }
  return undefined;
}

async function waitHealthy(pid: number, timeoutMs: number, log: Log): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    if (await isHealthy()) return true;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log('  waiting for Keycloak ...');
    }
    await sleep(1_000);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- env file

/** The public login client of the checked-in realm: the test user signs in there (direct access grant). */
export const USER_LOGIN_CLIENT_ID = 'finance-web-app';

interface RealmExport {
  clients: { clientId: string; secret?: string; publicClient?: boolean; directAccessGrantsEnabled?: boolean; protocolMappers?: { protocolMapper: string; config?: Record<string, string> }[] }[];
  users: { id?: string; email?: string; username: string; serviceAccountClientId?: string; credentials?: { type: string; value: string }[] }[];
}

export function keycloakEnv(caCert = paths.caCert): KeycloakEnv {
  const realm = JSON.parse(readFileSync(paths.realmJson, 'utf8')) as RealmExport;
  const agent = realm.clients.find((c) => c.clientId === 'finance-agent');
  const user = realm.users.find((u) => u.serviceAccountClientId === undefined && u.id !== undefined);
  const audience = agent?.protocolMappers?.find((m) => m.protocolMapper === 'oidc-audience-mapper')?.config?.['included.custom.audience'];
  const login = realm.clients.find((c) => c.clientId === USER_LOGIN_CLIENT_ID && c.publicClient && c.directAccessGrantsEnabled);
  const password = user?.credentials?.find((c) => c.type === 'password')?.value;
  if (!agent?.secret || !user?.id || !user.email || !audience || !login || !password) {
    throw new ProvisionError(`${paths.realmJson} lacks the finance-agent client, its audience mapper, the ${USER_LOGIN_CLIENT_ID} login client or the test user and password`);
  }
  return {
    DUAL_AUTH_VENDOR: 'keycloak',
    KEYCLOAK_TOKEN_URL: `${realmUrl}/protocol/openid-connect/token`,
    KEYCLOAK_ISSUER: realmUrl,
    KEYCLOAK_JWKS_URL: `${realmUrl}/protocol/openid-connect/certs`,
    KEYCLOAK_API_AUDIENCE: audience,
    AGENT_CLIENT_ID: agent.clientId,
    AGENT_CLIENT_SECRET: agent.secret,
    TEST_USER_ID: user.id,
    TEST_USER_EMAIL: user.email,
    USER_LOGIN_CLIENT_ID: login.clientId,
    TEST_USER_USERNAME: user.username,
    TEST_USER_PASSWORD: password,
    NODE_EXTRA_CA_CERTS: caCert,
  };
}

function writeEnvFile(caCert = paths.caCert): KeycloakEnv {
  const env = keycloakEnv(caCert);
  const body = [
    '# Written by npm run keycloak:start for the LOCAL DEVELOPMENT Keycloak only (dev-only secret and password).',
    '# Load it with: set -a; . ./.keycloak.env; set +a',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
  writeFileSync(paths.envFile, body, { mode: 0o600 });
  return env;
}
