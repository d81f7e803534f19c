import { defineConfig } from 'vitest/config';

// `npm test`: the unit and HTTPS suites that need nothing but Node.
// Integration suites (Keycloak, secrets servers, Python interop) have their own configs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/keycloak/**', 'test/secrets/**', 'test/interop/**', 'test/redis/**', 'test/faults/**', 'node_modules/**'],
    setupFiles: ['test/helpers/log-audit.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
