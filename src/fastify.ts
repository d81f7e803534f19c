/**
 * `dual-auth/fastify`: a Fastify plugin that verifies the dual-subject token of
 * every request in the scope it is registered in and decorates
 * `request.dualAuth` with the identities.
 *
 *   await app.register(dualAuthPlugin, { vendor: 'okta', issuer, audience });
 *
 * Registered through fastify-plugin, so the hook applies to the scope that
 * registers it (register it inside a child scope to guard only those routes).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { toLogger, type LoggerLike } from './logging.js';
import { humanIdForLogging } from './domain/act.js';
import { bearerErrorResponse, bearerToken, headerValue } from './verify/bearer.js';
import type { DualSubjectIdentity, VerifyOptions } from './verify/types.js';
import { createDualSubjectVerifier } from './verify/verifier.js';

export type { DualSubjectIdentity, VerifyOptions } from './verify/types.js';
export { httpStatusFor } from './verify/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by dualAuthPlugin once the token (and the act assertion, when the verifier reads one) is verified; null before. */
    dualAuth: DualSubjectIdentity | null;
  }
}

export interface DualAuthPluginOptions extends VerifyOptions {
  /** `realm` of the WWW-Authenticate challenge; default "api". */
  realm?: string;
  /** The hook that verifies: 'onRequest' (default, before the body is read) or 'preHandler'. */
  hook?: 'onRequest' | 'preHandler';
}

const plugin: FastifyPluginAsync<DualAuthPluginOptions> = async (fastify: FastifyInstance, options: DualAuthPluginOptions) => {
  const verify = createDualSubjectVerifier(options);
  const logger = toLogger(options.logger ?? (fastify.log as unknown as LoggerLike));
  // EntraID and the 'assertion' layout: the person travels in X-Act-Assertion.
  const readAssertion = verify.readsActAssertion;
  const challenge = { realm: options.realm ?? 'api', ...(options.requiredScopes ? { scope: options.requiredScopes } : {}) };

  fastify.decorateRequest('dualAuth', null);
  fastify.addHook(options.hook ?? 'onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    let identity: DualSubjectIdentity;
    try {
      identity = await verify(bearerToken(request.headers.authorization), {
        actAssertion: readAssertion ? headerValue(request.headers['x-act-assertion']) : undefined,
        request,
      });
    } catch (error) {
      const answer = bearerErrorResponse(error, challenge);
      logger.warn(
        { event: 'dual_auth_rejected', status: answer.status, code: (error as { code?: unknown })?.code },
        'Request rejected',
      );
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
    request.dualAuth = identity;
    // IAM identifiers only: never the email, the name or the token.
    logger.info({ event: 'dual_auth_verified', agentId: identity.agent.id, humanId: humanIdForLogging(identity.human.id) }, 'Request authorized');
  });
};

export const dualAuthPlugin = fp(plugin, { name: 'dual-auth', fastify: '5.x' });
export default dualAuthPlugin;
