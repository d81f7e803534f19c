import { defineConfig } from 'vitest/config';

// `npm run test:faults`: Toxiproxy between the library and each server it talks to (the
// local IAM, the demo API, its JWKS, Keycloak, Redis, moto, OpenBao), all started by
// global-setup.ts. Files run one at a time: each measures its own process's sockets and
// timers, and the timing bounds must not compete with another file for the CPU.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/faults/global-setup.ts'],
    setupFiles: ['test/helpers/log-audit.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
