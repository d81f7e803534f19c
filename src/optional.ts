/**
 * Optional peer dependencies (cloud SDKs, oidc-provider, @peculiar/x509, express)
 * are loaded here, on first use of their feature, so that the package entry never
 * needs them. A missing package becomes a DualAuthError naming what to install;
 * when a feature needs several, all the missing ones are named at once, in one
 * install command.
 */
import { DualAuthError, errorClassName } from './errors.js';

/** An optional package and what to install for it (default: its name). */
export interface OptionalPackage {
  name: string;
  install?: readonly string[];
}

/**
 * Imports `name` at run time. The specifier goes through a variable so that
 * bundlers leave the import alone. `install` lists the npm packages to suggest.
 */
export async function importOptional<T>(name: string, feature: string, install: readonly string[] = [name]): Promise<T> {
  const [module] = await importOptionalAll<[T]>([{ name, install }], feature);
  return module;
}

/** Imports every package of `packages` (concurrently); names all the missing ones in one error. */
export async function importOptionalAll<T extends unknown[]>(packages: readonly OptionalPackage[], feature: string): Promise<T> {
  const load = (specifier: string): Promise<unknown> => import(specifier);
  const results = await Promise.allSettled(packages.map((pkg) => load(pkg.name)));
  const missing: string[] = [];
  let firstMissing: unknown;
  for (const [index, result] of results.entries()) {
    if (result.status === 'fulfilled') continue;
    const pkg = packages[index] as OptionalPackage;
    // A broken install of one of the package's own dependencies is not "install it": say so.
    if (!isMissing(result.reason, pkg.name)) {
      throw new DualAuthError(`Failed to load ${pkg.name} for ${feature}: ${errorClassName(result.reason)}`, 'ERR_DEPENDENCY_MISSING', { cause: result.reason });
    }
    missing.push(...(pkg.install ?? [pkg.name]));
    firstMissing ??= result.reason;
  }
  if (missing.length > 0) {
    const command = `npm install ${missing.join(' ')}`;
    throw new DualAuthError(`${feature} requires ${listOf(missing)}. Install with: ${command}`, 'ERR_DEPENDENCY_MISSING', { cause: firstMissing, hint: command });
  }
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as T;
}

function isMissing(cause: unknown, name: string): boolean {
  const code = (cause as { code?: unknown } | null)?.code;
  const message = String((cause as { message?: unknown } | null)?.message ?? '');
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${name}'`);
}

/** "a", "a and b", "a, b and c". */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
