/**
 * A real HTTPS server on 127.0.0.1 for tests, with a test CA made at set-up.
 * Requests are recorded; answers come from a handler the test sets.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface TestServer {
  origin: string;
  url(path: string): string;
  caCert: string;
  certificates: DevCertificates;
  requests: RecordedRequest[];
  /** TLS connections accepted so far. */
  connections(): number;
  handle(handler: Handler): void;
  close(): Promise<void>;
}

let cached: Promise<DevCertificates> | undefined;

/** One test CA per test file (made once, reused by every server of the file). */
export function testCertificates(): Promise<DevCertificates> {
  cached ??= createDevCertificates();
  return cached;
}

export async function startTestServer(initial?: Handler): Promise<TestServer> {
  const certificates = await testCertificates();
  const requests: RecordedRequest[] = [];
  let handler: Handler = initial ?? ((_, res) => json(res, 200, { ok: true }));
  const server: Server = createServer({ cert: certificates.cert, key: certificates.key }, (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      Promise.resolve(handler(recorded, res)).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  });
  let connections = 0;
  server.on('secureConnection', () => connections++);
  server.keepAliveTimeout = 10_000; // undici keeps a socket only when the hint exceeds its 2 s threshold
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    caCert: certificates.caCert,
    certificates,
    requests,
    connections: () => connections,
    handle: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Parses an x-www-form-urlencoded body into ordered [name, value] pairs. */
export function formFields(body: string): Array<[string, string]> {
  return [...new URLSearchParams(body).entries()];
}

/** The decoded parts of a compact JWS, without verifying it. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')),
  };
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a TLS handshake to it stalls. */
export interface SilentServer {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Connections open now. */
  openSockets(): number;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // reads (and drops) the client's bytes, so that its closing is seen
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    openSockets: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
