/**
 * HTTP glue shared by the Express and Fastify entries: reading the bearer
 * token, and the RFC 6750 answer (status, WWW-Authenticate, JSON body) for an error.
 * No framework import here, so the main entry can re-export it freely.
 */
import { DualAuthError } from '../errors.js';
import { httpStatusFor } from './errors.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive),
 * else undefined (no header, another scheme, no credentials).
 * @throws DualAuthError `ERR_TOKEN_INVALID` ("Access token is malformed") when the
 * Bearer credentials are not an RFC 6750 b64token, e.g. with whitespace inside:
 * lenient base64 decoders skip it, so such a token must not reach a verifier.
 */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer(?: +(.*))?$/i.exec(value.trim());
  const token = match?.[1]?.trim();
  if (!token) return undefined;
  if (!B64TOKEN.test(token)) throw new DualAuthError('Access token is malformed', 'ERR_TOKEN_INVALID');
  return token;
}

/** A single header value (the first when repeated), else undefined. */
export function headerValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && value.length > 0 ? value.trim() : undefined;
}

export interface BearerErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

export interface ChallengeOptions {
  /** The `realm` of the challenge; default "api". */
  realm?: string;
  /** Scopes named in an insufficient_scope challenge. */
  scope?: string[];
}

/**
 * The answer for a failed verification (RFC 6750 §3): 401 with
 * `error="invalid_token"` (no error code when the request carried no token,
 * §3.1), 403 with `error="insufficient_scope"`, 503/500 without a challenge.
 * The description is the error's fixed message, which never holds token data.
 */
export function bearerErrorResponse(error: unknown, options: ChallengeOptions = {}): BearerErrorResponse {
  const status = httpStatusFor(error);
  const realm = quote(options.realm ?? 'api');
  const message = error instanceof DualAuthError ? error.message : 'Internal error';
  if (status === 401) {
    if (error instanceof DualAuthError && error.code === 'ERR_TOKEN_MISSING') {
      return {
        status,
        headers: { 'www-authenticate': `Bearer realm=${realm}` },
        body: { error: 'invalid_token', error_description: message },
      };
    }
    return {
      status,
      headers: { 'www-authenticate': `Bearer realm=${realm}, error="invalid_token", error_description=${quote(message)}` },
      body: { error: 'invalid_token', error_description: message },
    };
  }
  if (status === 403) {
    const scope = options.scope && options.scope.length > 0 ? `, scope=${quote(options.scope.join(' '))}` : '';
    return {
      status,
      headers: { 'www-authenticate': `Bearer realm=${realm}, error="insufficient_scope", error_description=${quote(message)}${scope}` },
      body: { error: 'insufficient_scope', error_description: message },
    };
  }
  if (status === 503) {
    return { status, headers: { 'retry-after': '5' }, body: { error: 'temporarily_unavailable', error_description: message } };
  }
  return { status, headers: {}, body: { error: 'server_error', error_description: 'Token verification is misconfigured or failed' } };
}

/** An RFC 7230 quoted-string, limited to the printable ASCII RFC 6750 allows. */
function quote(text: string): string {
  return `"${text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}
