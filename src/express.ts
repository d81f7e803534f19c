/**
 * `dual-auth/express`: Express middleware that verifies the dual-subject token
 * of every request it guards and puts the identities on `req.dualAuth`.
 *
 *   app.use('/finance', dualAuth({ vendor: 'keycloak', issuer, audience }));
 *
 * express itself is only a type import: this module works with Express 4 and 5
 * and the main entry never loads it.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { toLogger } from './logging.js';
import { humanIdForLogging } from './domain/act.js';
import { bearerErrorResponse, bearerToken, headerValue } from './verify/bearer.js';
import type { DualSubjectIdentity, VerifyOptions } from './verify/types.js';
import { createDualSubjectVerifier } from './verify/verifier.js';

export type { DualSubjectIdentity, VerifyOptions } from './verify/types.js';
export { httpStatusFor } from './verify/errors.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by dualAuth() once the token (and the act assertion, when the verifier reads one) is verified. */
      dualAuth?: DualSubjectIdentity;
    }
  }
}

export interface DualAuthMiddlewareOptions extends VerifyOptions {
  /** `realm` of the WWW-Authenticate challenge; default "api". */
  realm?: string;
}

export function dualAuth(options: DualAuthMiddlewareOptions): RequestHandler {
  // Built once: the JWKS cache lives as long as the middleware.
  const verify = createDualSubjectVerifier(options);
  const logger = toLogger(options.logger);
  // EntraID and the 'assertion' layout: the person travels in X-Act-Assertion.
  const readAssertion = verify.readsActAssertion;
  const challenge = { realm: options.realm ?? 'api', ...(options.requiredScopes ? { scope: options.requiredScopes } : {}) };

  const handle = async function dualAuthMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    let identity: DualSubjectIdentity;
    try {
      identity = await verify(bearerToken(req.headers.authorization), {
        actAssertion: readAssertion ? headerValue(req.headers['x-act-assertion']) : undefined,
        request: req,
      });
    } catch (error) {
      const answer = bearerErrorResponse(error, challenge);
      logger.warn(
        { event: 'dual_auth_rejected', status: answer.status, code: (error as { code?: unknown })?.code },
        'Request rejected',
      );
      res.status(answer.status).set(answer.headers).json(answer.body);
      return;
    }
    req.dualAuth = identity;
    // IAM identifiers only: never the email, the name or the token.
    logger.info({ event: 'dual_auth_verified', agentId: identity.agent.id, humanId: humanIdForLogging(identity.human.id) }, 'Request authorized');
    next();
  };
  // Express 4 does not catch a rejected handler: hand any unexpected failure (a throwing logger, a
  // closed response) to the error middleware instead of crashing the process.
  return (req, res, next) => {
    handle(req, res, next).catch(next);
  };
}
