/**
 * Trust for private CAs. Node's default trust store already includes
 * NODE_EXTRA_CA_CERTS; a `ca` option REPLACES the store in `tls.connect`, so we
 * rebuild it as public roots + NODE_EXTRA_CA_CERTS + the given CAs.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

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
    // Node itself warns at start-up about an unreadable file; nothing to add.
  }
  extraCaCache = { path, pems };
  return pems;
}

/** The `ca` list for tls.connect, or undefined to keep Node's defaults. */
export function buildTrustedCas(ca: CaOption | undefined): Array<string | Buffer> | undefined {
  if (ca === undefined) return undefined;
  const given = Array.isArray(ca) ? ca : [ca as string | Buffer];
  return [...rootCertificates, ...extraCaFromEnvironment(), ...given];
}
