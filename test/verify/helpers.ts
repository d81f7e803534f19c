/**
 * Test fixtures for the resource-server suites: a real HTTPS JWKS server on
 * 127.0.0.1 (test CA from createDevCertificates, requests counted), key pairs
 * and a token signer. Nothing is mocked.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeSigningKey(alg = 'RS256', kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export async function sign(claims: JWTPayload, key: SigningKey, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
}

export const now = (): number => Math.floor(Date.now() / 1000);

export interface JwksServer {
  /** https://127.0.0.1:PORT/jwks */
  jwksUri: string;
  /** https://127.0.0.1:PORT : used as the issuer in tests */
  origin: string;
  caCert: string;
  certs: DevCertificates;
  /** JWKS GETs served so far. */
  requests(): number;
  setKeys(keys: JWK[]): void;
  /** Answer with this HTTP status instead of the JWKS (0 = normal). */
  failWith(status: number): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[], certs?: DevCertificates): Promise<JwksServer> {
  const tls = certs ?? (await createDevCertificates());
  let current = keys;
  let count = 0;
  let failure = 0;
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    count += 1;
    if (failure) {
      res.writeHead(failure, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }));
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  return {
    jwksUri: `${origin}/jwks`,
    origin,
    caCert: tls.caCert,
    certs: tls,
    requests: () => count,
    setKeys: (next) => {
      current = next;
    },
    failWith: (status) => {
      failure = status;
    },
    close: () => closeServer(server),
  };
}

export function listen(server: { listen(port: number, host: string, cb: () => void): unknown; once(e: 'error', cb: (err: Error) => void): unknown }): Promise<void> {
  return new Promise((resolve, reject) => {
    // A suite that cannot start its server fails with the reason.
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** A client that trusts the test CA (and nothing is switched off). */
export function httpsClient(caCert: string): { fetch: (url: string, init?: { headers?: Record<string, string> }) => Promise<{ status: number; headers: Headers; json(): Promise<unknown> }>; close(): Promise<void> } {
  const dispatcher = new Agent({ connect: { ca: caCert } });
  return {
    fetch: (url, init = {}) => undiciFetch(url, { ...init, dispatcher }) as never,
    close: () => dispatcher.close(),
  };
}

/** A syntactically valid unsecured JWT (alg none). */
export function unsecuredJwt(claims: JWTPayload): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

/** Captures log records for assertions. */
export function captureLogger(): { records: Array<Record<string, unknown>>; logger: Record<string, (obj: Record<string, unknown>, msg?: string) => void> } {
  const records: Array<Record<string, unknown>> = [];
  const push = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    records.push({ level, ...obj, msg });
  };
  return { records, logger: { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') } };
}
