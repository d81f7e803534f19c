/**
 * Cloud SDKs are optional peer dependencies: a project that reads its
 * configuration from the environment installs none of them. A missing SDK
 * becomes a SecretsBackendError that names the npm package to install.
 */
import { DualAuthError, SecretsBackendError } from '../errors.js';
import { importOptional as importOptionalPackage } from '../optional.js';

export async function importOptional<T>(specifier: string, backend: string, description: string, packages: readonly string[] = [specifier]): Promise<T> {
  try {
    return await importOptionalPackage<T>(specifier, description, packages);
  } catch (error) {
    if (!(error instanceof DualAuthError)) throw error;
    throw new SecretsBackendError(error.message, backend, { cause: error.cause, code: 'ERR_BACKEND_UNAVAILABLE' });
  }
}
