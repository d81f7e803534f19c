/**
 * express, fastify, fastify-plugin, hono, the MCP SDK and the OpenTelemetry API are optional peers: only the sub-path
 * entries may load them. Walks the static and dynamic imports reachable from
 * src/index.ts and fails on any value import of those packages.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PEERS = new Set(['express', 'fastify', 'fastify-plugin', 'hono', '@hono/node-server', '@modelcontextprotocol/sdk', '@opentelemetry/api']);
// `import type` / `export type` are erased; everything else loads the module.
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    if (match[2]) continue;
    found.push((match[3] ?? match[4]) as string);
  }
  return found;
}

function reachablePackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
  }
  return packages;
}

describe('entry isolation', () => {
  it('the main entry never loads a framework, the MCP SDK or the OpenTelemetry API', () => {
    const packages = reachablePackages(resolve(root, 'src/index.ts'));
    expect([...packages].filter((p) => PEERS.has(p))).toEqual([]);
    expect(packages.has('jose')).toBe(true); // the walk does reach the verifier
  });

  it('the sub-path entries load only their own framework', () => {
    const express = reachablePackages(resolve(root, 'src/express.ts'));
    expect([...express].filter((p) => PEERS.has(p))).toEqual([]); // express: types only
    const fastify = reachablePackages(resolve(root, 'src/fastify.ts'));
    expect([...fastify].filter((p) => PEERS.has(p))).toEqual(['fastify-plugin']);
    const hono = reachablePackages(resolve(root, 'src/hono.ts'));
    expect([...hono].filter((p) => PEERS.has(p))).toEqual([]); // hono: types only
    const mcp = reachablePackages(resolve(root, 'src/mcp/index.ts'));
    expect([...mcp].filter((p) => PEERS.has(p))).toEqual(['@modelcontextprotocol/sdk']);
  });
});
