import { defineConfig, type Options } from 'tsup';

// The library's entry points. Each is built in ESM and CJS with code splitting, so every
// entry of one module system shares one copy of the shared modules: one DualAuthError class,
// one HTTP pool, one JWKS cache per verifier (a separate copy per entry broke `instanceof`).
const LIBRARY_ENTRIES = {
  index: 'src/index.ts',
  express: 'src/express.ts',
  fastify: 'src/fastify.ts',
  hono: 'src/hono.ts',
  mcp: 'src/mcp/index.ts',
  'local-iam': 'src/local-iam/index.ts',
  redis: 'src/redis/index.ts',
};

const shared: Options = {
  sourcemap: true,
  target: 'node20',
  splitting: true,
  // Shared and lazily loaded modules go to dist/chunks/, apart from the entry points.
  esbuildOptions(options) {
    options.chunkNames = 'chunks/[name]-[hash]';
  },
  // Optional peers are loaded lazily, only when their feature is used; never bundle them.
  external: [
    /^@aws-sdk\//,
    /^@google-cloud\//,
    /^@azure\//,
    'node-vault',
    'express',
    'fastify',
    'fastify-plugin',
    'hono',
    /^hono\//,
    /^@modelcontextprotocol\//,
    'oidc-provider',
    '@peculiar/x509',
    'commander',
    'redis',
    /^@redis\//,
  ],
};

export default defineConfig([
  // ESM, with the `dual-auth` bin: an ES module that shares the library's chunks.
  { ...shared, entry: { ...LIBRARY_ENTRIES, cli: 'src/cli/main.ts' }, format: ['esm'], dts: { entry: LIBRARY_ENTRIES } },
  // CJS for require(): the library only (the bin is never required).
  { ...shared, entry: LIBRARY_ENTRIES, format: ['cjs'], dts: { entry: LIBRARY_ENTRIES } },
]);
