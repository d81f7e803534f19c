/**
 * What every HTTP middleware (dual-auth/express, /fastify, /hono) does with a request, in
 * one place: read the bearer token (and the X-Act-Assertion when the verifier reads one),
 * verify, and either hand back the identities or the RFC 6750 answer to send. Logs carry
 * the agent id, the person's IAM id (humanIdForLogging) and error codes: never a token,
 * an email or a name. No framework import here.
 */
import { humanIdForLogging } from '../domain/act.js';
import { silentLogger, toLogger, type LoggerLike } from '../logging.js';
import { bearerErrorResponse, bearerToken, headerValue, type BearerErrorResponse } from './bearer.js';
import type { DualSubjectIdentity, VerifyOptions } from './types.js';
import { createDualSubjectVerifier } from './verifier.js';

export interface RequestGuardOptions extends VerifyOptions {
  /** `realm` of the WWW-Authenticate challenge. Default is "api". */
  realm?: string;
}

/** Reads one request header (lower-case name): a value, the values of a repeated header, or undefined. */
export type HeaderReader = (name: 'authorization' | 'x-act-assertion') => string | string[] | null | undefined;

/** The guard's verdict: the identities, or the answer to send instead of the route. */
export type GuardVerdict = { identity: DualSubjectIdentity; refusal?: undefined } | { identity?: undefined; refusal: BearerErrorResponse };

export type RequestGuard = (header: HeaderReader, request: unknown) => Promise<GuardVerdict>;

/**
 * Builds the verifier once (it holds the JWKS cache) and returns the per-request check.
 * `frameworkLogger` is used when the options give none (Fastify's own logger).
 */
export function createRequestGuard(options: RequestGuardOptions, frameworkLogger?: LoggerLike): RequestGuard {
  const verify = createDualSubjectVerifier(options);
  const logger = toLogger(options.logger ?? frameworkLogger);
  // EntraID and the 'assertion' layout: the person travels in X-Act-Assertion.
  const readAssertion = verify.readsActAssertion;
  const challenge = { realm: options.realm ?? 'api', ...(options.requiredScopes ? { scope: options.requiredScopes } : {}) };

  return async (header, request) => {
    let identity: DualSubjectIdentity;
    try {
      identity = await verify(bearerToken(header('authorization') ?? undefined), {
        actAssertion: readAssertion ? headerValue(header('x-act-assertion') ?? undefined) : undefined,
        request,
      });
    } catch (error) {
      const refusal = bearerErrorResponse(error, challenge);
      logger.warn({ event: 'dual_auth_rejected', status: refusal.status, code: (error as { code?: unknown })?.code }, 'Request rejected');
      return { refusal };
    }
    // IAM identifiers only: never the email, the name or the token. Built only for a real logger (hashing an id costs).
    if (logger !== silentLogger) logger.info({ event: 'dual_auth_verified', agentId: identity.agent.id, humanId: humanIdForLogging(identity.human.id) }, 'Request authorized');
    return { identity };
  };
}
