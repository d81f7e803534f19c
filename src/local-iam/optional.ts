/**
 * Optional peer dependencies of the local IAM (oidc-provider, @peculiar/x509)
 * are loaded only when it starts, so the library itself never needs them.
 * A missing package becomes a DualAuthError that names what to install.
 */
import { importOptional } from '../optional.js';

const INSTALL_HINT: Record<string, string> = {
  'oidc-provider': 'oidc-provider@9',
  '@peculiar/x509': '@peculiar/x509@1',
  express: 'express@5',
};

export function loadOptional<T = any>(name: string, feature = 'the local IAM'): Promise<T> {
  return importOptional<T>(name, feature, [INSTALL_HINT[name] ?? name]);
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
