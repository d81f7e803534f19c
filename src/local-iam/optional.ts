/**
 * Optional peer dependencies of the local IAM (oidc-provider, @peculiar/x509)
 * are loaded only when it starts, so the library itself never needs them.
 * A missing package becomes a DualAuthError that names what to install.
 */
import { DualAuthError } from '../errors.js';

const INSTALL_HINT: Record<string, string> = {
  'oidc-provider': 'oidc-provider@9',
  '@peculiar/x509': '@peculiar/x509@1',
  express: 'express@5',
};

export async function loadOptional<T = any>(name: string, feature = 'the local IAM'): Promise<T> {
  try {
    // A variable specifier keeps bundlers from inlining the optional peer.
    return (await import(name)) as T;
  } catch (cause) {
    const code = (cause as { code?: string } | undefined)?.code;
    const message = (cause as { message?: string } | undefined)?.message ?? '';
    // Only the package itself missing; a broken install of one of its dependencies is rethrown as is.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(`'${name}'`)) {
      throw new DualAuthError(
        `${feature} needs the optional package '${name}', which is not installed. ` +
          `Install it with: npm install --save-dev ${INSTALL_HINT[name] ?? name}`,
        'ERR_DEPENDENCY_MISSING',
        { cause },
      );
    }
    throw cause;
  }
}

/**
 * oidc-provider 9 prints "Unsupported runtime" on any Node release older than
 * 22 LTS. It runs on Node 20.19+ (it needs URL.parse and crypto.hash, both
 * present there), and the demo output should stay readable, so that one notice
 * is dropped while the module loads; every other warning passes through.
 */
export async function loadOidcProvider(): Promise<any> {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
    original(...args);
  };
  try {
    return await loadOptional('oidc-provider');
  } finally {
    console.warn = original;
  }
}
