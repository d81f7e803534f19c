/** TLS trust for the cloud SDKs' own HTTP clients: a private CA is added to, never replaces, the usual roots. */
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';
import { buildTrustedCas } from '../http/tls.js';

/**
 * A keep-alive HTTPS agent trusting `ca` besides the public roots and NODE_EXTRA_CA_CERTS
 * (one secure context for all connections); certificates are always checked.
 */
export function agentWithCa(ca: string | readonly string[]): Agent {
  return new Agent({ keepAlive: true, secureContext: createSecureContext({ ca: buildTrustedCas(ca) }) });
}
