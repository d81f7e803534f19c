import { brandError, DualAuthError, type DualAuthErrorCode } from '../errors.js';
import { certificateHint } from './tls.js';

/**
 * A transport failure (no HTTP answer). `pythonName` is the exception class the
 * Python package (requests) reports for the same failure, so messages match it.
 * `connect`: the request never reached the server; `reset`: the connection broke
 * once the request may have been sent (the server may have acted on it).
 */
export type HttpFailureKind = 'connect' | 'reset' | 'tls' | 'timeout' | 'aborted' | 'protocol' | 'too-large';

const PYTHON_NAMES: Record<HttpFailureKind, string> = {
  connect: 'ConnectionError',
  reset: 'ConnectionError',
  tls: 'SSLError',
  timeout: 'Timeout',
  aborted: 'AbortError',
  protocol: 'ConnectionError',
  'too-large': 'ContentTooLarge',
};

const CODES: Record<HttpFailureKind, DualAuthErrorCode> = {
  connect: 'ERR_NETWORK',
  reset: 'ERR_NETWORK',
  tls: 'ERR_NETWORK',
  timeout: 'ERR_TIMEOUT',
  aborted: 'ERR_ABORTED',
  protocol: 'ERR_NETWORK',
  'too-large': 'ERR_NETWORK',
};

export class HttpError extends DualAuthError {
  static {
    brandError(this, 'HttpError');
  }

  readonly kind: HttpFailureKind;
  readonly pythonName: string;

  constructor(kind: HttpFailureKind, detail: string, cause?: unknown, hint?: string) {
    super(`HTTP request failed (${kind}): ${detail}`, CODES[kind], { cause, ...(hint === undefined ? {} : { hint }) });
    this.kind = kind;
    this.pythonName = PYTHON_NAMES[kind];
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Classify an undici/Node error. Only the error code goes into the message. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const code = String((error as { code?: unknown })?.code ?? (error as Error)?.name ?? 'unknown');
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) {
    return new HttpError('tls', `TLS verification failed (${code})`, error, certificateHint(code));
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new HttpError('timeout', code, error);
  }
  // Only these mean the request never reached the server, so it may be retried safely.
  if (CONNECT_CODES.has(code)) return new HttpError('connect', code, error);
  if (RESET_CODES.has(code)) return new HttpError('reset', code, error);
  return new HttpError('protocol', code, error);
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENETDOWN', 'EHOSTDOWN']);
// The connection broke after it was set up: the request may have reached the server
// (undici's `other side closed` is UND_ERR_SOCKET).
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);
