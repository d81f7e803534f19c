/**
 * undici, loaded at the first request rather than at import, and only the
 * modules a request needs: the Agent (its pools and HTTP/1.1 client), the
 * connector and the request API. `import('undici')` loads all of undici (111
 * modules: fetch, WebSocket, caches, mocks...) for ~110 ms of CPU; these three
 * load 26 modules for ~34 ms (issue 13, docs/performance.md), which is what a
 * process that starts and asks for one token pays.
 *
 * undici has no `exports` map, so these paths are reachable, but they are not
 * its documented API: if a release moves them, the whole package is loaded
 * instead (same classes, same behaviour, only slower to start), and
 * test/core/http.test.ts fails so that the move is noticed.
 */
import type { Agent, Dispatcher, buildConnector } from 'undici';

export interface UndiciParts {
  Agent: typeof Agent;
  buildConnector: typeof buildConnector;
  /** undici's request API (`dispatcher.request(options)`) on `dispatcher`. */
  request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  /** 'parts' when the three modules were loaded, 'package' after the fallback to the whole package. */
  source: 'parts' | 'package';
}

type RequestApi = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

let loading: Promise<UndiciParts> | undefined;

/** undici's parts, loaded once per process (concurrent first requests share the load). */
export function loadUndici(): Promise<UndiciParts> {
  return (loading ??= loadParts().catch(loadPackage));
}

// Through a variable: bundlers leave the specifier alone, so the parts come from the installed undici.
const load = (specifier: string): Promise<{ default: unknown }> => import(specifier);

async function loadParts(): Promise<UndiciParts> {
  const [agent, connector, api] = await Promise.all([
    load('undici/lib/dispatcher/agent.js'),
    load('undici/lib/core/connect.js'),
    load('undici/lib/api/api-request.js'),
  ]);
  if (typeof agent.default !== 'function' || typeof connector.default !== 'function' || typeof api.default !== 'function') {
    throw new Error('undici layout changed');
  }
  const requestApi = api.default as RequestApi;
  return {
    Agent: agent.default as typeof Agent,
    buildConnector: connector.default as typeof buildConnector,
    // The method undici's index adds to every dispatcher (Dispatcher.prototype.request).
    request: (dispatcher, options) => requestApi.call(dispatcher, options),
    source: 'parts',
  };
}

async function loadPackage(): Promise<UndiciParts> {
  const undici = await import('undici');
  return {
    Agent: undici.Agent,
    buildConnector: undici.buildConnector,
    request: (dispatcher, options) => dispatcher.request(options),
    source: 'package',
  };
}
