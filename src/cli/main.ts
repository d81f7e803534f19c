#!/usr/bin/env node
/** Entry point of the `dual-auth` bin (dist/cli.js) and of `npm run demo` / `npm run dev-iam`. */
import { runCli } from './program.js';

runCli(process.argv.slice(2)).then(
  // Exit explicitly once output is flushed: one-shot commands must not wait for idle keep-alive sockets.
  (code) => process.stdout.write('', () => process.exit(code)),
  () => process.exit(1),
);
