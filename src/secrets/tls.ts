/** TLS trust for the cloud backends: a private CA is added to, never replaces, the usual roots. */
import { rootCertificates } from 'node:tls';

/** The given CA certificate(s) plus Node's bundled roots, for an `https.Agent`'s `ca` option. */
export function withSystemRoots(ca: string | readonly string[]): string[] {
  return [...rootCertificates, ...(typeof ca === 'string' ? [ca] : ca)];
}
