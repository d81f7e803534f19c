/**
 * The servers the fault tests and the soak put Toxiproxy in front of, run in a
 * process of their own so that the process under test holds only the client side
 * of each connection (its `process.getActiveResourcesInfo()` then shows the
 * library's sockets and timers alone):
 * - the local IAM (Keycloak profile): token endpoint and JWKS;
 * - the demo API (verifies with the local IAM's JWKS), which counts the requests it receives.
 *
 * Run as `tsx scripts/faults/servers.ts`: it prints one JSON line (FaultServers) on
 * stdout, then serves a control API on loopback (plain HTTP): GET /counts.
 * `startFaultServers()` starts it as a child process.
 */
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { demoApiOptionsFor, startDemoApi, startLocalIam } from '../../src/local-iam/index.js';
import { ROOT } from '../secrets/lib.js';

export interface FaultServers {
  caCert: string;
  iam: {
    issuer: string;
    tokenUrl: string;
    jwksUri: string;
    apiAudience: string;
    clientId: string;
    /** Test-only secret of a throwaway local IAM. */
    clientSecret: string;
    testUserId: string;
    app: { privateKeyPath: string; publicKeyPem: string };
  };
  api: { url: string };
  /** http://127.0.0.1:PORT (loopback control API). */
  control: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface ServerCounts {
  /** POSTs to the IAM's token endpoint. */
  tokenRequests: number;
  /** Requests received by the demo API, by method. */
  api: Record<(typeof METHODS)[number], number>;
}

/** Reads the counters (one connection, closed after). */
export function readCounts(control: string): Promise<ServerCounts> {
  return new Promise((resolve, reject) => {
    const req = request(`${control}/counts`, { agent: false, timeout: 10_000, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ServerCounts));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('control API: no answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

export interface FaultServersProcess {
  servers: FaultServers;
  pid: number;
  stop(): Promise<void>;
}

/** Starts this file as a child process and waits for its JSON line (a start failure rejects with its output). */
export async function startFaultServers(): Promise<FaultServersProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const lines = createInterface({ input: child.stdout });
  const servers = await new Promise<FaultServers>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fault servers did not start within 60 s: ${stderr}`)), 60_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as FaultServers);
      } catch {
        reject(new Error(`fault servers printed ${line.slice(0, 200)}: ${stderr}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fault servers exited with code ${code}: ${stderr}`));
    });
  });
  lines.close();
  child.stdout.resume();
  return {
    servers,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  const certificates = await createDevCertificates();
  const iam = await startLocalIam({ vendor: 'keycloak', certificates });
  const api = await startDemoApi(demoApiOptionsFor(iam, certificates));
  const control = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/counts') {
      const counts: ServerCounts = {
        tokenRequests: iam.tokenRequestCount(),
        api: Object.fromEntries(METHODS.map((method) => [method, api.requestCount(method)])) as ServerCounts['api'],
      };
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(counts));
      return;
    }
    res.writeHead(404, { connection: 'close' }).end();
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const servers: FaultServers = {
    caCert: certificates.caCert,
    iam: {
      issuer: iam.issuer,
      tokenUrl: iam.tokenUrl,
      jwksUri: iam.jwksUri,
      apiAudience: iam.apiAudience,
      clientId: iam.agent.clientId,
      clientSecret: iam.agent.clientSecret,
      testUserId: iam.testUser.id,
      app: { privateKeyPath: iam.app.privateKeyPath, publicKeyPem: iam.app.publicKeyPem },
    },
    api: { url: api.url },
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
  };
  process.stdout.write(`${JSON.stringify(servers)}\n`);
  const stop = async () => {
    control.close();
    await Promise.all([api.close(), iam.close()]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // The parent went away without stopping us (killed): stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 1_000).unref();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
