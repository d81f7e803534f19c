// Imports a package entry in a fresh process and prints, as JSON, every module it
// loaded (ESM through a resolve hook, CJS through require.cache), the import time
// (wall and this process's CPU), and, with an action module, what the action then
// loaded on top. Used by bench/index.ts (import times, no cloud SDK) and by
// scripts/check-package.mjs (what import and a first request or verification load).
// Usage: node [--import tsx] bench/load-check.mjs <entry file> [<action module>]
//   The action module's default export is awaited with the imported entry.
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [entry, action] = process.argv.slice(2);
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
register('./loader-hooks.mjs', { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
const require = createRequire(import.meta.url);

/** Every module loaded so far, once the hook thread's last messages have arrived. */
async function loaded() {
  await new Promise((r) => setTimeout(r, 100));
  for (const file of Object.keys(require.cache)) seen.add(pathToFileURL(file).href);
  return [...seen];
}

const cpu = process.cpuUsage();
const started = performance.now();
const mod = await import(pathToFileURL(resolve(entry)).href);
const importMs = performance.now() - started;
const used = process.cpuUsage(cpu);
const modules = await loaded();
const result = { importMs, importCpuMs: (used.user + used.system) / 1000, exports: Object.keys(mod).length, modules };
if (action) {
  const run = (await import(pathToFileURL(resolve(action)).href)).default;
  result.actionResult = await run(mod);
  const before = new Set(modules);
  result.actionModules = (await loaded()).filter((url) => !before.has(url));
}
port1.close();
process.stdout.write(JSON.stringify(result) + '\n');
