/**
 * Optional peer dependencies (cloud SDKs, oidc-provider, @peculiar/x509, express)
 * are loaded here, on first use of their feature, so that the package entry never
 * needs them. A missing package becomes a DualAuthError naming what to install.
 */
import { DualAuthError, errorClassName } from './errors.js';

/**
 * Imports `name` at run time. The specifier goes through a variable so that
 * bundlers leave the import alone. `install` lists the npm packages to suggest.
 */
export async function importOptional<T>(name: string, feature: string, install: readonly string[] = [name]): Promise<T> {
  const load = (specifier: string): Promise<unknown> => import(specifier);
  try {
    return (await load(name)) as T;
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    const message = String((cause as { message?: unknown } | null)?.message ?? '');
    // Only the package itself missing; a broken install of one of its own dependencies says so.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${name}'`)) {
      throw new DualAuthError(`${feature} requires ${install.join(' and ')}. Install with: npm install ${install.join(' ')}`, 'ERR_DEPENDENCY_MISSING', { cause });
    }
    throw new DualAuthError(`Failed to load ${name} for ${feature}: ${errorClassName(cause)}`, 'ERR_DEPENDENCY_MISSING', { cause });
  }
}
