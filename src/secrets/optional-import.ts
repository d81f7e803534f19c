/**
 * Cloud SDKs are optional peer dependencies: a project that reads its
 * configuration from the environment installs none of them. A backend loads its
 * SDK here, on first use, and a missing SDK becomes a SecretsBackendError that
 * names the npm package to install.
 */
import { SecretsBackendError } from '../errors.js';

/**
 * Imports `specifier` at run time. The specifier goes through a variable so that
 * bundlers leave the import alone (the package stays optional for our users).
 */
export async function importOptional<T>(specifier: string, backend: string, description: string, packages: readonly string[] = [specifier]): Promise<T> {
  const load = (name: string): Promise<unknown> => import(name);
  try {
    return (await load(specifier)) as T;
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new SecretsBackendError(
        `${description} requires ${packages.join(' and ')}. Install with: npm install ${packages.join(' ')}`,
        backend,
        { cause: error, code: 'ERR_BACKEND_UNAVAILABLE' },
      );
    }
    throw new SecretsBackendError(`Failed to load ${specifier}: ${(error as Error)?.name ?? 'Error'}`, backend, {
      cause: error,
      code: 'ERR_BACKEND_UNAVAILABLE',
    });
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
