/**
 * Keep-alive connection pools (undici Agents), one per trust configuration and
 * connect timeout, shared by every HttpClient that uses it.
 *
 * A pool also gives up connections nobody waits for any more. undici sets up a
 * connection for the pool, not for the request that caused it: when that request
 * is aborted (the caller's signal, or our deadline) during a TCP connect or TLS
 * handshake that never completes (a black hole), the socket would wait out the
 * whole connect timeout behind the caller's back. So each pool counts the requests
 * in flight per origin, and when the last one of an origin ends in an abort, the
 * connections to that origin still being set up are destroyed.
 *
 * The undici Agent is made at the first request (undici is loaded then: see
 * ./undici.ts), so constructing an adapter or a client costs no import.
 */
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { buildTrustedCas, type CaOption } from './tls.js';
import { loadUndici, type UndiciParts } from './undici.js';

/** How long an idle keep-alive connection is kept. */
const KEEP_ALIVE_TIMEOUT_MS = 10_000;
/** Connections per origin. */
const CONNECTIONS_PER_ORIGIN = 128;

export interface ConnectionPool {
  /** Loads undici and makes the dispatcher, once; undici's request API with it. */
  ready(): Promise<{ dispatcher: Dispatcher; undici: UndiciParts }>;
  /**
   * Marks a request to `url`'s origin as in flight. Call the returned function when
   * it ends, with `aborted` true when it ended by an abort before its answer.
   */
  begin(url: URL): (aborted: boolean) => void;
}

const pools = new Map<string, ConnectionPool>();

/** The shared pool for `ca` and `connectTimeoutMs` (TCP connect plus TLS handshake). */
export function sharedPool(ca: CaOption | undefined, connectTimeoutMs: number): ConnectionPool {
  const key = `${connectTimeoutMs}\n${ca === undefined ? '' : (Array.isArray(ca) ? ca : [ca]).map(String).join('\n')}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = createPool(ca, connectTimeoutMs);
    pools.set(key, pool);
  }
  return pool;
}

/** A pool of a dispatcher given by the caller: nothing to count, nothing to give up (the caller owns it). */
export function externalPool(dispatcher: Dispatcher): ConnectionPool {
  let made: Promise<{ dispatcher: Dispatcher; undici: UndiciParts }> | undefined;
  return {
    ready: () => (made ??= loadUndici().then((undici) => ({ dispatcher, undici }))),
    begin: () => () => {},
  };
}

function createPool(ca: CaOption | undefined, connectTimeoutMs: number): ConnectionPool {
  const trusted = buildTrustedCas(ca);
  // One secure context per pool: passing ~150 CAs as `ca` would rebuild it for every TLS connection (12-20 ms CPU).
  // Made here, not at the first request, so that a `ca` Node cannot read fails where it is given.
  const secureContext = trusted ? createSecureContext({ ca: trusted }) : undefined;
  const connecting = new Map<string, Set<Socket>>();
  const inFlight = new Map<string, number>();
  let made: Promise<{ dispatcher: Dispatcher; undici: UndiciParts }> | undefined;

  const makeAgent = (undici: UndiciParts): Dispatcher => {
    const connect = undici.buildConnector({
      // Covers TCP connect and the TLS handshake.
      timeout: connectTimeoutMs,
      ...(secureContext ? { secureContext } : {}),
    });
    return new undici.Agent({
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connections: CONNECTIONS_PER_ORIGIN,
      connect(options, callback) {
        const origin = originKey(options.protocol, options.hostname, options.port);
        let sockets = connecting.get(origin);
        if (!sockets) connecting.set(origin, (sockets = new Set()));
        const set = sockets;
        let socket: Socket | undefined;
        let settled = false;
        // buildConnector returns the socket it opens, though its type says void.
        socket = (connect as unknown as (o: typeof options, cb: typeof callback) => Socket)(options, (...args) => {
          settled = true;
          if (socket) set.delete(socket);
          if (set.size === 0 && connecting.get(origin) === set) connecting.delete(origin);
          callback(...args);
        });
        if (!settled) set.add(socket);
      },
    });
  };

  return {
    ready: () => (made ??= loadUndici().then((undici) => ({ dispatcher: makeAgent(undici), undici }))),
    begin(url) {
      const origin = originKey(url.protocol, url.hostname, url.port);
      inFlight.set(origin, (inFlight.get(origin) ?? 0) + 1);
      let ended = false;
      return (aborted) => {
        if (ended) return;
        ended = true;
        const left = (inFlight.get(origin) ?? 1) - 1;
        if (left > 0) {
          inFlight.set(origin, left);
          return;
        }
        inFlight.delete(origin);
        if (!aborted) return;
        const sockets = connecting.get(origin);
        if (!sockets) return;
        connecting.delete(origin);
        // undici then sees a failed connect and, with no request queued, forgets it.
        for (const socket of sockets) socket.destroy();
      };
    },
  };
}

/** protocol//host:port with the default port made explicit and IPv6 brackets removed (undici strips them). */
function originKey(protocol: string, hostname: string, port: string): string {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return `${protocol}//${host}:${port || (protocol === 'https:' ? '443' : '80')}`;
}
