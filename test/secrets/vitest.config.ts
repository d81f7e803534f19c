import { defineConfig } from 'vitest/config';

// `npm run test:secrets`: the cloud backends against real servers (moto, OpenBao)
// and the documented stand-ins (GCP, Azure), all started by global-setup.ts.
export default defineConfig({
  test: {
    include: ['test/secrets/**/*.test.ts'],
    globalSetup: ['test/secrets/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Workers inherit NODE_EXTRA_CA_CERTS (the test CA) from the global set-up.
    pool: 'forks',
  },
});
