/** Direct access to the test Redis servers, for what the tests inspect (keys, values, TTLs). */
import { createClient } from 'redis';

function nodeClient(url: string, ca?: string) {
  return createClient({ url, socket: ca ? { tls: true, ca } : {} });
}
type NodeClient = ReturnType<typeof nodeClient>;
import { inject } from 'vitest';
import { createAdapter, getConfig, type BaseAdapter } from '../../src/index.js';
import type { RedisServers } from './servers.js';

export const servers = (): RedisServers => inject('redisServers');

/** Redis standalone, Redis Cluster, or a Valkey standalone server. */
export type Topology = 'standalone' | 'cluster' | 'valkey';

/** The URLs of every node of a topology (one for a standalone server). */
export function nodeUrls(topology: Topology): string[] {
  const all = servers();
  return topology === 'cluster' ? all.cluster : [topology === 'valkey' ? all.valkey : all.standalone];
}

/** The library's connection options for a topology. */
export function connection(topology: Topology): { url: string | string[] } {
  const urls = nodeUrls(topology);
  return topology === 'cluster' ? { url: urls } : { url: urls[0] as string };
}

export interface StoredEntry {
  node: string;
  key: string;
  value: string | null;
  /** PTTL: milliseconds left, -1 for no expiry. */
  ttlMs: number;
}

/** Every key on every node, with its value (strings) and TTL. */
export async function scanEverything(urls: readonly string[], options: { ca?: string } = {}): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  for (const url of urls) {
    await withNode(url, async (client) => {
      for await (const keys of client.scanIterator({ COUNT: 1000 })) {
        for (const key of keys) {
          const type = await client.type(key);
          entries.push({ node: new URL(url).port, key, value: type === 'string' ? await client.get(key) : `<${type}>`, ttlMs: await client.pTTL(key) });
        }
      }
    }, options);
  }
  return entries;
}

/** Runs `fn` with a plain client to one node (no cluster redirects: what is stored on that node). */
export async function withNode<T>(url: string, fn: (client: NodeClient) => Promise<T>, options: { ca?: string } = {}): Promise<T> {
  const client = nodeClient(url, options.ca);
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}

/** Deletes every key whose name starts with `prefix`, on every node. */
export async function deleteKeys(urls: readonly string[], prefix: string): Promise<void> {
  for (const url of urls) {
    await withNode(url, async (client) => {
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) for (const key of keys) await client.del(key);
    });
  }
}

/** The adapter a deployment would build from the local IAM's variables (getConfig + createAdapter). */
export async function adapterFor(iam: { env: Record<string, string>; caCert: string }): Promise<BaseAdapter> {
  return createAdapter(await getConfig({ env: iam.env }), { ca: iam.caCert, retries: 0 });
}
