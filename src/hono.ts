/**
 * `dual-auth/hono`: Hono middleware that verifies the dual-subject token of every
 * request it guards and sets the identities with `c.set('dualAuth', …)`. It reads
 * only the web-standard request (`c.req.header`), so it runs wherever Hono runs
 * (Node through @hono/node-server, Bun, Deno, Workers); the answers and the options
 * are those of dual-auth/express (RFC 6750 WWW-Authenticate).
 *
 *   const app = new Hono<DualAuthEnv>();
 *   app.use('/finance/*', dualAuth({ vendor: 'keycloak', issuer, audience }));
 *   app.get('/finance/report', (c) => c.json({ agent: c.get('dualAuth').agent.id }));
 *
 * hono itself is only a type import: the main entry never loads it.
 */
import type { MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createRequestGuard, type RequestGuardOptions } from './verify/guard.js';
import type { DualSubjectIdentity } from './verify/types.js';

export type { DualSubjectIdentity, VerifyOptions } from './verify/types.js';
export { httpStatusFor } from './verify/errors.js';

/** The context variables the middleware sets: `c.get('dualAuth')`. */
export interface DualAuthVariables {
  /** Set by dualAuth() once the token (and the act assertion, when the verifier reads one) is verified. */
  dualAuth: DualSubjectIdentity;
}

/** The Hono `Env` of a guarded app or route: `new Hono<DualAuthEnv>()`. */
export interface DualAuthEnv {
  Variables: DualAuthVariables;
}

declare module 'hono' {
  // `c.get('dualAuth')` is typed in any Hono app, as Hono's own middlewares type theirs.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ContextVariableMap extends DualAuthVariables {}
}

/** The verifier's options, and `realm` of the WWW-Authenticate challenge (default "api"). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DualAuthHonoOptions extends RequestGuardOptions {}

export function dualAuth(options: DualAuthHonoOptions): MiddlewareHandler<DualAuthEnv> {
  // Built once: the JWKS cache lives as long as the middleware.
  const guard = createRequestGuard(options);
  return async function dualAuthMiddleware(c, next) {
    // `authorize` receives the Hono Context (c.req, c.req.param(), …).
    const verdict = await guard((name) => c.req.header(name), c);
    if (verdict.refusal) {
      const { status, headers, body } = verdict.refusal;
      return c.json(body, status as ContentfulStatusCode, headers);
    }
    c.set('dualAuth', verdict.identity);
    await next();
    return undefined;
  };
}
