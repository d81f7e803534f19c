import { defineConfig } from 'vitest/config';

// `npm run test:redis`: dual-auth/redis against real Redis servers (Debian's redis-server):
// standalone with a password, TLS with an ACL user, and a three-node Redis Cluster, all
// started by global-setup.ts on 127.0.0.1 (free ports). Files run one at a time: several
// start agent processes or stop their own Redis servers.
export default defineConfig({
  test: {
    include: ['test/redis/**/*.test.ts'],
    globalSetup: ['test/redis/global-setup.ts'],
    setupFiles: ['test/helpers/log-audit.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
