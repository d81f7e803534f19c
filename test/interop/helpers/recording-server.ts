/**
 * A recording HTTPS server on 127.0.0.1 for the interop suite: both packages
 * send their requests to the same URL, the server keeps what arrived (method,
 * path, headers, body, parsed form) and answers with a scripted response.
 *
 * Each case gets its own endpoint (a random path prefix), so the Python side
 * can run a whole batch first and our side afterwards, and each case still
 * sees only its own requests.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createDevCertificates } from '../../../src/local-iam/certificates.js';

export interface RecordedRequest {
  method: string;
  /** Path after the endpoint prefix, with query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as application/x-www-form-urlencoded (last value wins). */
  form: Record<string, string>;
}

export interface ScriptedResponse {
  status: number;
  /** A JSON body (serialised) ... */
  json?: unknown;
  /** ... or a raw body. */
  body?: string;
  headers?: Record<string, string>;
}

export interface Endpoint {
  /** https://127.0.0.1:PORT/<tag> : append the vendor's token path. */
  base: string;
  /** What arrived so far. */
  readonly requests: RecordedRequest[];
  /** Returns the requests so far and forgets them. */
  take(): RecordedRequest[];
}

export interface RecordingServer {
  caCert: string;
  origin: string;
  /** A new endpoint answering every request with `response` (or a function of the request). */
  endpoint(response: ScriptedResponse | ((req: RecordedRequest) => ScriptedResponse)): Endpoint;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const { caCert, cert, key } = await createDevCertificates({ commonName: 'dual-auth interop CA' });
  const routes = new Map<string, { respond: (req: RecordedRequest) => ScriptedResponse; requests: RecordedRequest[] }>();

  const server: Server = createServer({ cert, key, keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const tag = url.split('/')[1] ?? '';
      const route = routes.get(tag);
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no_such_endpoint"}');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.slice(tag.length + 1),
        headers: req.headers,
        body,
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      route.requests.push(recorded);
      const answer = route.respond(recorded);
      const payload = answer.body ?? (answer.json === undefined ? '' : JSON.stringify(answer.json));
      res.writeHead(answer.status, {
        'content-type': answer.json === undefined ? 'text/plain' : 'application/json',
        ...answer.headers,
      });
      res.end(payload);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;

  return {
    caCert,
    origin,
    endpoint(response) {
      const tag = `e${randomBytes(6).toString('hex')}`;
      const requests: RecordedRequest[] = [];
      routes.set(tag, { respond: typeof response === 'function' ? response : () => response, requests });
      return {
        base: `${origin}/${tag}`,
        requests,
        take() {
          return requests.splice(0, requests.length);
        },
      };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
