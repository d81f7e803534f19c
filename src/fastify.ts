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
import type { LoggerLike } from './logging.js';
import { createRequestGuard, type RequestGuardOptions } from './verify/guard.js';
import type { DualSubjectIdentity } from './verify/types.js';

export type { DualSubjectIdentity, VerifyOptions } from './verify/types.js';
export { httpStatusFor } from './verify/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by dualAuthPlugin once the token (and the act assertion, when the verifier reads one) is verified; null before. */
    dualAuth: DualSubjectIdentity | null;
  }
}

export interface DualAuthPluginOptions extends RequestGuardOptions {
  /** The hook that verifies: 'onRequest' (default, before the body is read) or 'preHandler'. */
  hook?: 'onRequest' | 'preHandler';
}

const plugin: FastifyPluginAsync<DualAuthPluginOptions> = async (fastify: FastifyInstance, options: DualAuthPluginOptions) => {
  const guard = createRequestGuard(options, fastify.log as unknown as LoggerLike);

  fastify.decorateRequest('dualAuth', null);
  fastify.addHook(options.hook ?? 'onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = await guard((name) => request.headers[name], request);
    if (verdict.refusal) return reply.code(verdict.refusal.status).headers(verdict.refusal.headers).send(verdict.refusal.body);
    request.dualAuth = verdict.identity;
  });
};

export const dualAuthPlugin = fp(plugin, { name: 'dual-auth', fastify: '5.x' });
export default dualAuthPlugin;
