/**
 * Optional peer dependencies of the local IAM (oidc-provider, @peculiar/x509)
 * are loaded only when it starts, so the library itself never needs them.
 * A missing package becomes a DualAuthError that names what to install.
 */
import { importOptional, importOptionalAll } from '../optional.js';

const INSTALL_HINT = {
  'oidc-provider': 'oidc-provider@9',
  '@peculiar/x509': '@peculiar/x509@1',
  express: 'express@5',
} as const;

export type LocalIamPeer = keyof typeof INSTALL_HINT;

/** Every optional peer the local IAM, its CA and the demo API use. */
export const LOCAL_IAM_PEERS: readonly LocalIamPeer[] = ['oidc-provider', '@peculiar/x509', 'express'];

export function loadOptional<T = any>(name: string, feature = 'the local IAM'): Promise<T> {
  return importOptional<T>(name, feature, [INSTALL_HINT[name as LocalIamPeer] ?? name]);
}

/**
 * Checks up front that every peer a feature needs is installed, so a user who lacks
 * several reads one install command instead of meeting them one run at a time.
 */
export async function requirePeers(peers: readonly LocalIamPeer[], feature: string): Promise<void> {
  await withoutRuntimeNotice(() => importOptionalAll(peers.map((name) => ({ name, install: [INSTALL_HINT[name]] })), feature));
}

/**
 * oidc-provider 9 prints "Unsupported runtime" on any Node release older than
 * 22 LTS. It runs on Node 20.19+ (it needs URL.parse and crypto.hash, both
 * present there), and the demo output should stay readable, so that one notice
 * is dropped while the module loads; every other warning passes through.
 */
export function loadOidcProvider(): Promise<any> {
  return withoutRuntimeNotice(() => loadOptional('oidc-provider'));
}

async function withoutRuntimeNotice<T>(load: () => Promise<T>): Promise<T> {
  const original = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
    original(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = original;
  }
}
