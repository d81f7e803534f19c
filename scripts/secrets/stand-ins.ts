/** Starts the stand-in servers (GCP, Azure) as child processes, each stopped by pid. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, recordServer, spawnServer, tail } from './lib.js';

export interface StandIn {
  port: number;
  pid: number;
}

/** Runs scripts/secrets/<file> under tsx and waits for its {"port":N} line. */
export async function startStandIn(name: string, file: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<StandIn> {
  const { child, logFile } = spawnServer(name, process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'secrets', file)], env);
  if (!child.pid) throw new Error(`${name} did not start`);
  recordServer({ name, pid: child.pid });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}; log: ${logFile}\n${tail(logFile)}`);
    const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.startsWith('{"port"'));
    if (line) return { port: (JSON.parse(line) as { port: number }).port, pid: child.pid };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not report its port within ${timeoutMs} ms; log: ${logFile}\n${tail(logFile)}`);
}
