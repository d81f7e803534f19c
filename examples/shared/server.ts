/**
 * The HTTPS listener every example server uses: TLS from TLS_CERT_PATH /
 * TLS_KEY_PATH, 127.0.0.1 by default (HOST), PORT (0 = any free port), a
 * "listening on <url>" line on stdout, and a clean stop on SIGINT / SIGTERM.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { listenPort, serverTls } from './env.js';

export interface RunningServer {
  server: Server;
  /** e.g. https://127.0.0.1:8443 */
  url: string;
  close(): Promise<void>;
}

export async function startHttpsServer(
  name: string,
  defaultPort: number,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RunningServer> {
  const host = process.env.HOST || '127.0.0.1';
  const server = createServer({ ...serverTls(), minVersion: 'TLSv1.2' }, handler);
  // Slow or idle clients must not hold a connection forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort(defaultPort), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void close().then(() => process.exit(0));
    });
  }
  console.log(`[${name}] listening on ${url}`);
  return { server, url, close };
}
