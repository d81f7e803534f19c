import { defineConfig, mergeConfig } from 'vitest/config';
import unit from './vitest.config.js';

// Mutation testing (stryker.config.mjs) over the `npm test` files: the same suite with longer
// timeouts per test and per hook. Stryker runs the files one at a time, instrumented, at low priority
// on the shared machine, and a single test over the 20 s of `npm test` (an example server or the CLI
// starting) fails its first run. A mutant that hangs a test is still caught by Stryker's own timeout.
export default mergeConfig(unit, defineConfig({ test: { testTimeout: 90_000, hookTimeout: 180_000 } }));
