import { defineConfig } from 'vitest/config';

// `npm run test:keycloak`: the library against a real Keycloak 26 (started by
// global-setup.ts through scripts/keycloak/provision.ts when not running).
export default defineConfig({
  test: {
    include: ['test/keycloak/**/*.test.ts'],
    globalSetup: ['test/keycloak/global-setup.ts'],
    setupFiles: ['test/helpers/log-audit.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One Keycloak, one file: no parallel files fighting over it.
    fileParallelism: false,
  },
});
