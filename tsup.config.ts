import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'src/express.ts',
    fastify: 'src/fastify.ts',
    'local-iam': 'src/local-iam/index.ts',
    cli: 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  // Optional peers are loaded lazily, only when their feature is used; never bundle them.
  external: [
    /^@aws-sdk\//,
    /^@google-cloud\//,
    /^@azure\//,
    'node-vault',
    'express',
    'fastify',
    'fastify-plugin',
    'oidc-provider',
    '@peculiar/x509',
    'commander',
  ],
});
