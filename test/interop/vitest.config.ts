import { defineConfig } from 'vitest/config';

// `npm run test:interop`: the TypeScript package and the Python reference
// (dual-auth 1.0.1 in .cache/pyref-venv, see scripts/interop/setup-python.sh)
// on the same inputs. Needs python; fails (never skips) when the venv is missing.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One Python batch per file; files in parallel would just fight for 2 cores.
    fileParallelism: false,
  },
});
