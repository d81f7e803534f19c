/**
 * Tokens the local IAM issues for a person, outside oidc-provider's own grants: the
 * person's login token (as the web app holds it after sign-in) and the token an agent
 * gets by exchanging it. Both are signed with the provider's own RS256 key, so they
 * verify with the JWKS it publishes; a subject token is verified the same way.
 */
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { nowSeconds } from '../domain/jti.js';

export interface PersonTokenSigner {
  /** Signs `claims` as an access token of this IAM (RS256, the provider's key and kid). */
  sign(claims: Record<string, unknown>, typ: string): Promise<string>;
  /** Verifies a token of this IAM (signature, issuer, expiry); throws when it is not one. */
  verify(token: string): Promise<JWTPayload>;
}

export async function createPersonTokenSigner(signingJwk: Record<string, unknown>, issuer: string): Promise<PersonTokenSigner> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = signingJwk;
  // jose is loaded when the local IAM starts, not when dual-auth/local-iam is imported.
  const { SignJWT, createLocalJWKSet, importJWK, jwtVerify } = await import('jose');
  const privateKey = await importJWK(signingJwk as never, 'RS256');
  const keys = createLocalJWKSet({ keys: [publicJwk as never] });
  const kid = String(signingJwk.kid);
  return {
    sign: (claims, typ) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ, kid }).sign(privateKey),
    verify: async (token) => (await jwtVerify(token, keys, { issuer, algorithms: ['RS256'] })).payload,
  };
}

/** `iat`, `exp` and a fresh `jti` for a token living `ttlSeconds`. */
export function lifetime(ttlSeconds: number): { jti: string; iat: number; exp: number } {
  const iat = nowSeconds();
  return { jti: randomUUID(), iat, exp: iat + ttlSeconds };
}
