import { defineConfig } from 'vitest/config';
import redis from './vitest.config.js';

// Mutation testing of src/redis (`npm run test:mutation -- redis`, scripts/mutation/modules.mjs):
// this suite against its real servers, without replicas.test.ts. That file starts four agent
// processes per topology (each loading the library, which Stryker does not instrument there) and
// stops Redis under them: it cost most of each mutant's run, and its checks (one acceptance across
// processes, fail closed, recovery) are made in-process by replay-cache and token-cache too.
export default defineConfig({
  test: {
    ...redis.test,
    exclude: [...(redis.test?.exclude ?? []), 'test/redis/replicas.test.ts'],
  },
});
