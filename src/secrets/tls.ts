/** TLS trust for the cloud backends: a private CA is added to, never replaces, the usual roots. */
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** The given CA certificate(s) plus Node's bundled roots. */
export function withSystemRoots(ca: string | readonly string[]): string[] {
  return [...rootCertificates, ...(typeof ca === 'string' ? [ca] : ca)];
}

/** One secure context for all connections (parsing ~150 roots per handshake is slow). */
export function secureContextWith(ca: string | readonly string[]): SecureContext {
  return createSecureContext({ ca: withSystemRoots(ca) });
}

/** A keep-alive HTTPS agent that trusts `ca` besides the usual roots; certificates are always checked. */
export function agentWithCa(ca: string | readonly string[]): Agent {
  return new Agent({ keepAlive: true, secureContext: secureContextWith(ca) });
}
