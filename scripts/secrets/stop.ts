/** Stops the secrets test servers that start.ts (or an interrupted test run) recorded, by pid. */
import { readServers, stopRecordedServers, useRunName } from './lib.js';

useRunName('manual');
const servers = readServers();
await stopRecordedServers();
console.log(servers.length ? `stopped: ${servers.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}` : 'no recorded secrets servers');
