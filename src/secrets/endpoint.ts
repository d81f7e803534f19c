/**
 * The HTTPS rule for a secrets backend's endpoint, one place for every backend:
 * https://, or http:// to a loopback address (a local emulator: LocalStack, moto,
 * `vault server -dev` serve plain HTTP there by default), logged as a warning.
 * Any other http:// endpoint is refused: it would carry credentials and secrets
 * over the network in the clear.
 */
import { SecretsBackendError } from '../errors.js';
import { endpointKind } from '../http/loopback.js';
import type { Logger } from '../logging.js';

export const PLAIN_HTTP_HINT = 'Plain http:// is accepted only to a loopback address (127.0.0.0/8, ::1, localhost), for a local emulator.';

/** Checks `url` (the value of `variable`); returns whether it is plain HTTP to loopback. */
export function checkEndpoint(url: string, variable: string, backend: string, example: string, logger: Logger): 'https' | 'loopback-http' {
  const kind = endpointKind(url);
  if (kind === 'refused') {
    throw new SecretsBackendError(`${variable} must use HTTPS. Example: ${example}`, backend, { code: 'ERR_INSECURE_URL', hint: PLAIN_HTTP_HINT });
  }
  if (kind === 'loopback-http') warnPlaintext(variable, backend, logger);
  return kind;
}

/** The warning for plain traffic to a loopback address (also GCP's plaintext gRPC). */
export function warnPlaintext(variable: string, backend: string, logger: Logger): void {
  logger.warn(
    { event: 'secrets_plaintext_loopback', backend, variable },
    `${variable} is a plain-text endpoint on a loopback address: for a local emulator only, never in production`,
  );
}
