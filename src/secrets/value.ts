/**
 * What every cloud backend does with a value it read (or did not find):
 * trimmed, empty counts as absent, absent is an error only when required.
 * Messages name the secret, never its value.
 */
import { untilAborted } from '../http/abort.js';
import { DualAuthError, SecretsBackendError, errorClassName } from '../errors.js';

/** Per-request timeout of the cloud backends, in milliseconds. */
export const DEFAULT_SECRETS_TIMEOUT_MS = 10_000;

export interface FinishOptions {
  required: boolean;
  backend: string;
  /** The Python "not found" message, naming the secret's full name. */
  notFoundMessage: string;
}

export function finishValue(raw: string | undefined | null, options: FinishOptions): string | undefined {
  const value = raw?.trim();
  if (value) return value;
  if (options.required) {
    throw new SecretsBackendError(options.notFoundMessage, options.backend, { code: 'ERR_SECRET_MISSING' });
  }
  return undefined;
}

/**
 * Rejects at once when `signal` aborts, for clients that take no signal of their own;
 * `cancel` (when the client offers one) stops the request itself.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, backend: string, cancel?: () => void): Promise<T> {
  if (!signal) return promise;
  return untilAborted(promise, signal, () => {
    cancel?.();
    return abortedError(backend, signal.reason);
  });
}

export function abortedError(backend: string, cause?: unknown): SecretsBackendError {
  return new SecretsBackendError(`The ${backend} secrets request was aborted`, backend, { cause, code: 'ERR_ABORTED' });
}

/** True when `error` comes from an abort or timeout signal. */
export function isAbort(error: unknown): boolean {
  const name = errorClassName(error);
  return name === 'AbortError' || name === 'TimeoutError' || (error as { code?: unknown })?.code === 'ABORT_ERR';
}
