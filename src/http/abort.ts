/**
 * Racing a promise against an AbortSignal: the caller is released at once even
 * when the underlying work cannot be interrupted (e.g. a stalled TLS handshake, nodejs/undici#2362).
 */

/** Settles with `pending`, or rejects as soon as `signal` aborts (with `abortError()`, default the signal's reason). */
export function untilAborted<T>(pending: Promise<T>, signal: AbortSignal, abortError: () => unknown = () => signal.reason): Promise<T> {
  if (signal.aborted) {
    pending.catch(() => {}); // settles unobserved: must not become an unhandled rejection
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
