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
import { createRequestGuard, type RequestGuardOptions } from './verify/guard.js';
import type { DualSubjectIdentity } from './verify/types.js';

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

/** The verifier's options, and `realm` of the WWW-Authenticate challenge (default "api"). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DualAuthMiddlewareOptions extends RequestGuardOptions {}

export function dualAuth(options: DualAuthMiddlewareOptions): RequestHandler {
  // Built once: the JWKS cache lives as long as the middleware.
  const guard = createRequestGuard(options);

  const handle = async function dualAuthMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    const verdict = await guard((name) => req.headers[name], req);
    if (verdict.refusal) {
      res.status(verdict.refusal.status).set(verdict.refusal.headers).json(verdict.refusal.body);
      return;
    }
    req.dualAuth = verdict.identity;
    next();
  };
  // Express 4 does not catch a rejected handler: hand any unexpected failure (a throwing logger, a
  // closed response) to the error middleware instead of crashing the process.
  return (req, res, next) => {
    handle(req, res, next).catch(next);
  };
}
