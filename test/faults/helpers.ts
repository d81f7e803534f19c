/**
 * Helpers of the fault tests: a proxy per test in front of a server, the process's
 * resources (sockets, timers) before and after, and a timed run that captures the error.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, inject } from 'vitest';
import { readCounts, type ServerCounts } from '../../scripts/faults/servers.js';
import { Toxiproxy, type Toxic, type ToxicType } from '../../scripts/faults/toxiproxy.js';
import { DualAuthError } from '../../src/errors.js';
import { audited } from '../helpers/log-audit.js';
import type { FaultSetup } from './servers.js';

export const setup = (): FaultSetup => inject('faults');
export const toxiproxy = (): Toxiproxy => new Toxiproxy(setup().toxiproxy);
export const counts = (): Promise<ServerCounts> => readCounts(setup().local.control);

export interface FaultProxy {
  name: string;
  port: number;
  /** https://127.0.0.1:PORT: the same host as the server, so its certificate (127.0.0.1) still verifies through the proxy. */
  origin: string;
  /** `url` with its origin replaced by the proxy's. */
  via(url: string): string;
  add<T extends ToxicType>(toxic: Toxic<T>): Promise<string>;
  remove(name: string): Promise<void>;
  /** Down: every connection closed, new ones refused. */
  setEnabled(enabled: boolean): Promise<void>;
  delete(): Promise<void>;
}

/** A proxy of its own for one test, in front of `upstream` (host:port or a URL). */
export async function proxyTo(upstream: string): Promise<FaultProxy> {
  const api = toxiproxy();
  const target = upstream.includes('://') ? new URL(upstream).host : upstream;
  const name = `p-${randomUUID().slice(0, 8)}`;
  const proxy = await api.createProxy(name, target);
  const origin = `https://127.0.0.1:${proxy.port}`;
  let deleted = false;
  return {
    name,
    port: proxy.port,
    origin,
    via(url) {
      const parsed = new URL(url);
      parsed.host = `127.0.0.1:${proxy.port}`;
      return parsed.toString();
    },
    add: (toxic) => api.addToxic(name, toxic),
    remove: (toxic) => api.removeToxic(name, toxic),
    setEnabled: (enabled) => api.setEnabled(name, enabled),
    async delete() {
      if (deleted) return;
      deleted = true;
      await api.deleteProxy(name);
    },
  };
}

export type Resources = Record<string, number>;

/** What keeps this process alive, by kind (TLSWrap, TCPSocketWrap, Timeout, ...). */
export function resources(): Resources {
  const counted: Resources = {};
  for (const kind of process.getActiveResourcesInfo()) counted[kind] = (counted[kind] ?? 0) + 1;
  return counted;
}

/**
 * Waits up to `withinMs` until no kind of resource is above `baseline`, then passes; else fails
 * with what is left. The window is short on purpose: shorter than every connect timeout the
 * tests configure, so a socket left waiting one out cannot hide in it.
 */
export async function expectBackToBaseline(baseline: Resources, withinMs = 1_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  let excess: Resources = {};
  do {
    excess = {};
    for (const [kind, count] of Object.entries(resources())) if (count > (baseline[kind] ?? 0)) excess[kind] = count - (baseline[kind] ?? 0);
    if (Object.keys(excess).length === 0) return;
    await sleep(50);
  } while (performance.now() < deadline);
  expect(excess, 'resources left above the baseline').toEqual({});
}

export interface Outcome<T> {
  value?: T;
  error?: DualAuthError;
  /** Milliseconds from the call to its end. */
  ms: number;
}

/** Runs `fn`, timing it; a thrown DualAuthError is audited and returned, anything else fails the test. */
export async function timed<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  const start = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - start };
  } catch (error) {
    const ms = performance.now() - start;
    audited(error);
    expect(error, 'only DualAuthErrors are thrown').toBeInstanceOf(DualAuthError);
    return { error: error as DualAuthError, ms };
  }
}

/**
 * Slack added to a configured deadline when asserting that a call ended in time: the
 * machine is shared and loaded (timers fire late), never so much that a hang could pass.
 */
export const DEADLINE_SLACK_MS = 1_500;
