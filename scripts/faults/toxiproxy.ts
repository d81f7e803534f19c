/**
 * Toxiproxy (Shopify's TCP proxy for fault injection), the server and a small
 * typed client of its HTTP API. The server is built from source by
 * `go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.5.0` (.ci/run does
 * it; the binary stays in $(go env GOPATH)/bin). It listens on 127.0.0.1 on a
 * free API port and is stopped by pid.
 *
 * The client is hand-written rather than toxiproxy-node-client: that package calls
 * the global fetch, whose keep-alive sockets would sit in the test process and blur
 * the `process.getActiveResourcesInfo()` comparison the fault tests make. Here each
 * API call is one connection, closed when it ends.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, spawnServer, stopPid, waitForPort } from '../secrets/lib.js';

export const TOXIPROXY_VERSION = 'v2.5.0';
export const TOXIPROXY_MODULE = `github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}`;

/** Where `go install` puts the server (its binary is named `server`), or $TOXIPROXY_SERVER. */
export function toxiproxyBinary(): string {
  if (process.env.TOXIPROXY_SERVER) return process.env.TOXIPROXY_SERVER;
  let gopath: string;
  try {
    gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`Go is not installed: Toxiproxy is built with \`go install ${TOXIPROXY_MODULE}\` (.ci/run does it)`);
  }
  return join(gopath, 'bin', 'server');
}

/** The binary, checked to be Toxiproxy's server; a missing one is an error naming the command that builds it. */
export function requireToxiproxy(): string {
  const binary = toxiproxyBinary();
  if (!existsSync(binary)) throw new Error(`Toxiproxy server not found at ${binary}: build it with \`go install ${TOXIPROXY_MODULE}\``);
  const version = execFileSync(binary, ['-version'], { encoding: 'utf8' });
  if (!version.startsWith('toxiproxy-server version')) throw new Error(`${binary} is not toxiproxy-server (it says: ${version.slice(0, 80)})`);
  return binary;
}

export interface ToxiproxyServer {
  /** http://127.0.0.1:PORT, the API. */
  api: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the server on a free API port of 127.0.0.1 (tries again if another process took the port meanwhile). */
export async function startToxiproxy(): Promise<ToxiproxyServer> {
  const binary = requireToxiproxy();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const { child, logFile } = spawnServer(`toxiproxy-${port}`, binary, ['-host', '127.0.0.1', '-port', String(port)]);
    try {
      await waitForPort(port, child as ChildProcess, 'toxiproxy-server', logFile, 20_000);
      const pid = child.pid as number;
      return { api: `http://127.0.0.1:${port}`, pid, stop: () => stopPid(pid) };
    } catch (error) {
      lastError = error;
      if (child.pid) await stopPid(child.pid);
    }
  }
  throw lastError;
}

/** The toxics of Toxiproxy 2.5 and their attributes (times in milliseconds, rate in KB/s). */
export type ToxicAttributes = {
  latency: { latency: number; jitter?: number };
  bandwidth: { rate: number };
  slow_close: { delay: number };
  /** Stops all data; closes the connection after `timeout` (0: never, a black hole). */
  timeout: { timeout: number };
  /** Closes with a TCP RST after `timeout` (0: at once). */
  reset_peer: { timeout: number };
  /** Closes the connection once `bytes` have passed. */
  limit_data: { bytes: number };
  slicer: { average_size: number; size_variation?: number; delay?: number };
};
export type ToxicType = keyof ToxicAttributes;

export interface Toxic<T extends ToxicType = ToxicType> {
  name?: string;
  type: T;
  /** 'downstream' (server to client, the default) or 'upstream' (client to server). */
  stream?: 'upstream' | 'downstream';
  /** Share of connections affected, 0..1. Default is 1. */
  toxicity?: number;
  attributes: ToxicAttributes[T];
}

export interface Proxy {
  name: string;
  /** 127.0.0.1:PORT */
  listen: string;
  upstream: string;
  enabled: boolean;
  /** The port the proxy listens on. */
  port: number;
}

export class ToxiproxyError extends Error {
  override name = 'ToxiproxyError';
}

/** The HTTP API (https://github.com/Shopify/toxiproxy#http-api). */
export class Toxiproxy {
  constructor(readonly api: string) {}

  version(): Promise<string> {
    return this.call('GET', '/version').then((text) => text.trim());
  }

  /** A proxy on a free port of 127.0.0.1 to `upstream` (host:port). */
  async createProxy(name: string, upstream: string): Promise<Proxy> {
    for (let attempt = 0; ; attempt++) {
      const listen = `127.0.0.1:${await freePort()}`;
      try {
        return toProxy(JSON.parse(await this.call('POST', '/proxies', { name, listen, upstream, enabled: true })));
      } catch (error) {
        // The port was taken between freePort() and the listen: pick another.
        if (attempt >= 2 || !String(error).includes('address already in use')) throw error;
      }
    }
  }

  async deleteProxy(name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }

  /** Disabled, the proxy closes every connection and refuses new ones (the server "down"). */
  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${encodeURIComponent(name)}`, { enabled });
  }

  async addToxic<T extends ToxicType>(proxy: string, toxic: Toxic<T>): Promise<string> {
    const name = toxic.name ?? `${toxic.type}_${toxic.stream ?? 'downstream'}`;
    await this.call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { stream: 'downstream', toxicity: 1, ...toxic, name });
    return name;
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  }

  /** Every proxy enabled, every toxic removed. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  /** One request on its own connection (no keep-alive), bounded to 10 s. */
  private call(method: string, path: string, body?: unknown): Promise<string> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.api}${path}`,
        { method, agent: false, timeout: 10_000, headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) reject(new ToxiproxyError(`toxiproxy ${method} ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            else resolve(text);
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new ToxiproxyError(`toxiproxy ${method} ${path}: no answer in 10 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function toProxy(raw: { name: string; listen: string; upstream: string; enabled: boolean }): Proxy {
  return { name: raw.name, listen: raw.listen, upstream: raw.upstream, enabled: raw.enabled, port: Number(raw.listen.split(':').pop()) };
}
