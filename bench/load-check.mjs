// Imports the package entry in a fresh process and prints, as JSON, every
// module it loaded (ESM through a resolve hook, CJS through require.cache) and
// the import time. bench/index.ts checks that no cloud SDK is among them.
// Usage: node [--import tsx] bench/load-check.mjs <entry file>
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const entry = process.argv[2];
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
register('./loader-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });

const started = performance.now();
const mod = await import(pathToFileURL(resolve(entry)).href);
const importMs = performance.now() - started;
await new Promise((r) => setTimeout(r, 100)); // let the last hook messages arrive
port1.close();
const require = createRequire(import.meta.url);
for (const file of Object.keys(require.cache)) seen.add(pathToFileURL(file).href);
process.stdout.write(JSON.stringify({ importMs, exports: Object.keys(mod).length, modules: [...seen] }) + '\n');
