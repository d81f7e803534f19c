import { defineConfig } from 'vitest/config';
import secrets from './vitest.config.js';

// Mutation testing of src/secrets (`npm run test:mutation -- secrets`, scripts/mutation/modules.mjs):
// the cloud backends are tested against their servers (this folder's suite, its global set-up),
// the environment backend, the factory and the endpoint rule by the `npm test` files below.
export default defineConfig({
  test: {
    ...secrets.test,
    include: [...(secrets.test?.include ?? []), 'test/core/config.test.ts', 'test/core/plain-http-loopback.test.ts'],
    setupFiles: ['test/helpers/log-audit.ts'],
  },
});
