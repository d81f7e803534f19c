/**
 * The mutation-testing modules of issue 16: what each one mutates and the score it must reach.
 * One Stryker run per module (`npm run test:mutation -- <module>`), each with its own
 * incremental file, so a change to one module re-tests only that module's mutants.
 * The code that guards identities needs 85 %, everything else in scope 75 %.
 * `vitestConfig` (default vitest.config.ts, the `npm test` suite): the suite whose tests kill the
 * module's mutants, for a module tested against servers that `npm test` does not start.
 */
export const MODULES = {
  jwt: { mutate: ['src/jwt/**/*.ts'], threshold: 85 },
  verify: { mutate: ['src/verify/**/*.ts'], threshold: 85 },
  session: { mutate: ['src/session/**/*.ts'], threshold: 75 },
  adapters: { mutate: ['src/adapters/**/*.ts'], threshold: 75 },
  http: { mutate: ['src/http/**/*.ts'], threshold: 75 },
  api: { mutate: ['src/api/**/*.ts'], threshold: 75 },
  config: { mutate: ['src/config/**/*.ts'], threshold: 75 },
  // The cloud backends' tests run against real servers (moto, OpenBao, the stand-ins): not in `npm test`.
  secrets: { mutate: ['src/secrets/**/*.ts'], threshold: 75, vitestConfig: 'test/secrets/vitest.mutation.config.ts' },
  // The vocabulary (Act, jti, replay cache, token response) and the option checks every constructor uses.
  domain: { mutate: ['src/domain/**/*.ts', 'src/options.ts'], threshold: 75 },
  middleware: { mutate: ['src/express.ts', 'src/fastify.ts', 'src/hono.ts'], threshold: 75 },
  // Real Redis servers (`npm run test:redis`): not in `npm test`.
  redis: { mutate: ['src/redis/**/*.ts'], threshold: 75, vitestConfig: 'test/redis/vitest.config.ts' },
  mcp: { mutate: ['src/mcp/**/*.ts'], threshold: 75 },
};

/** The module named by DUAL_AUTH_MUTATION_MODULE, or an error naming the known ones. */
export function moduleNamed(name) {
  if (!Object.hasOwn(MODULES, name)) {
    throw new Error(`Unknown mutation module "${name}". Known: ${Object.keys(MODULES).join(', ')}`);
  }
  return MODULES[name];
}

/** Where a module's reports and incremental file live (the incremental files are committed). */
export function reportPaths(name) {
  return {
    json: `reports/mutation/${name}.json`,
    html: `reports/mutation/${name}.html`,
    incremental: `reports/stryker-incremental/${name}.json`,
  };
}
