/**
 * Trust for private CAs. Node's default trust store includes NODE_EXTRA_CA_CERTS only
 * when the variable was set as Node started: one set later (`node --env-file=.env`,
 * `process.loadEnvFile()`, dotenv) is not in it. So the library reads the variable
 * itself when it builds a TLS context. A `ca` option REPLACES the store in
 * `tls.connect`, so a context is always built as: Node's default store +
 * NODE_EXTRA_CA_CERTS + the given CAs.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

export type CaOption = string | Buffer | ReadonlyArray<string | Buffer>;

let extraCaCache: { path: string; pems: string[] } | undefined;

function extraCaFromEnvironment(): string[] {
  const path = process.env.NODE_EXTRA_CA_CERTS;
  if (!path) return [];
  if (extraCaCache?.path === path) return extraCaCache.pems;
  let pems: string[] = [];
  try {
    pems = [readFileSync(path, 'utf8')];
  } catch {
    // Unreadable: nothing to add; an untrusted certificate's hint names the file (certificateHint).
  }
  extraCaCache = { path, pems };
  return pems;
}

let startupEnvironment: ReadonlyMap<string, string> | null | undefined;

/**
 * The environment this process started with (Linux: /proc/self/environ, which later
 * changes to process.env do not touch); null where the platform does not say.
 */
function environmentAtStart(): ReadonlyMap<string, string> | null {
  if (startupEnvironment === undefined) {
    try {
      const entries = readFileSync('/proc/self/environ', 'utf8').split('\0').filter(Boolean);
      startupEnvironment = new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    } catch {
      startupEnvironment = null;
    }
  }
  return startupEnvironment;
}

/** True when NODE_EXTRA_CA_CERTS is set but Node did not read it at start-up (or cannot be shown to have). */
function extraCaMissedByNode(): boolean {
  const path = process.env.NODE_EXTRA_CA_CERTS;
  if (!path) return false;
  // Where the start-up environment is unknown, add it anyway: a CA trusted twice is harmless.
  return environmentAtStart()?.get('NODE_EXTRA_CA_CERTS') !== path;
}

/** Node's default store: `tls.getCACertificates('default')` where Node has it (22.15+, with --use-system-ca), else the bundled roots. */
function defaultStore(): readonly string[] {
  const getCACertificates = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  return typeof getCACertificates === 'function' ? getCACertificates('default') : tls.rootCertificates;
}

/** The `ca` list for tls.connect, or undefined when Node's default store already trusts everything it should. */
export function buildTrustedCas(ca: CaOption | undefined): Array<string | Buffer> | undefined {
  if (ca === undefined && !extraCaMissedByNode()) return undefined;
  const given = ca === undefined ? [] : Array.isArray(ca) ? ca : [ca as string | Buffer];
  return [...defaultStore(), ...extraCaFromEnvironment(), ...given];
}

// Node/OpenSSL codes for a certificate chain that no trusted CA signed.
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/**
 * What to do about a certificate the TLS handshake refused (the `hint` of the error), by
 * its Node/OpenSSL code; undefined for TLS failures that are not about trust.
 */
export function certificateHint(code: string): string | undefined {
  if (UNTRUSTED.has(code)) {
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    const named = extra
      ? extraCaFromEnvironment().length === 0
        ? ` NODE_EXTRA_CA_CERTS names ${extra}, which cannot be read.`
        : ` The CA in ${extra} (NODE_EXTRA_CA_CERTS) did not sign it.`
      : '';
    return (
      `The server's certificate is not signed by a CA this process trusts (${code}).${named} ` +
      'If it comes from a private CA, trust that CA: NODE_EXTRA_CA_CERTS=/path/to/ca.pem (also read from a .env ' +
      'loaded with node --env-file), or the `ca` option; never turn certificate checks off.'
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return 'The server\'s certificate is valid but not issued for this host name: use the host name the certificate names, or give the server a certificate for this one.';
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `The server's certificate is outside its validity period (${code}): renew it, or check this machine's clock.`;
  }
  return undefined;
}
