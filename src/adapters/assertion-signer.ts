/**
 * How Keycloak, Auth0 and Okta adapters sign the client assertion. Default: HS256
 * with the client secret (client_secret_jwt), as the reference. Optional: a
 * private key (private_key_jwt, RFC 7523), which Auth0 documents and every vendor accepts.
 */
import type { KeyObject } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import { signCompact } from '../jwt/compact.js';
import { clientSecretKey, loadPrivateKey } from '../jwt/keys.js';
import type { Act } from '../domain/act.js';
import { newJti, nowSeconds } from '../domain/jti.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const CLIENT_ASSERTION_LIFETIME_SECONDS = 300;

export interface PrivateKeyJwtOptions {
  /** PEM text, a path to a PEM file, or a KeyObject. */
  privateKey: string | KeyObject;
  /** The signing algorithm; the key must be of its type (RSA; EC P-256 for ES256, P-384 for ES384). Default is RS256. */
  alg?: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384';
  /** `kid` header, as registered with the IAM. */
  kid?: string;
}

/** The key each privateKeyJwt algorithm signs with. */
const PRIVATE_KEY_JWT_KEY_TYPES: Readonly<Record<string, { fits(key: KeyObject): boolean; text: string }>> = {
  RS256: { fits: (k) => k.asymmetricKeyType === 'rsa', text: 'an RSA private key' },
  RS384: { fits: (k) => k.asymmetricKeyType === 'rsa', text: 'an RSA private key' },
  RS512: { fits: (k) => k.asymmetricKeyType === 'rsa', text: 'an RSA private key' },
  PS256: { fits: (k) => k.asymmetricKeyType === 'rsa' || k.asymmetricKeyType === 'rsa-pss', text: 'an RSA private key' },
  ES256: { fits: (k) => k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1', text: 'an EC P-256 private key' },
  ES384: { fits: (k) => k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'secp384r1', text: 'an EC P-384 private key' },
};

/** Signs a client assertion; without `act` it names the agent only (token exchange, agent-only tokens). */
export type AssertionSigner = (agentId: string, audience: string, act: Act | undefined) => Promise<string>;

export function createAssertionSigner(clientSecret: string, privateKeyJwt?: PrivateKeyJwtOptions): AssertionSigner {
  // Claims in the Python order (iss, sub, aud, exp, iat, jti, act): the same bytes on the wire.
  const claims = (agentId: string, audience: string, act: Act | undefined): Record<string, unknown> => {
    const now = nowSeconds();
    const claims: Record<string, unknown> = { iss: agentId, sub: agentId, aud: audience, exp: now + CLIENT_ASSERTION_LIFETIME_SECONDS, iat: now, jti: newJti() };
    if (act !== undefined) claims.act = act;
    return claims;
  };
  if (!privateKeyJwt) {
    const secretKey = clientSecretKey(clientSecret);
    const header = { alg: 'HS256', typ: 'JWT' };
    return async (agentId, audience, act) => signCompact('HS256', header, claims(agentId, audience, act), secretKey);
  }
  const alg = privateKeyJwt.alg ?? 'RS256';
  const keyType = Object.hasOwn(PRIVATE_KEY_JWT_KEY_TYPES, alg) ? PRIVATE_KEY_JWT_KEY_TYPES[alg] : undefined;
  if (keyType === undefined) throw new ConfigurationError(`privateKeyJwt.alg must be one of ${Object.keys(PRIVATE_KEY_JWT_KEY_TYPES).join(', ')}`);
  const privateKey = loadPrivateKey(privateKeyJwt.privateKey);
  // A mismatch would only show at the first request, as an IAM's invalid_client: refused here instead.
  if (!keyType.fits(privateKey)) throw new ConfigurationError(`privateKeyJwt.alg ${alg} needs ${keyType.text}`);
  const header = { alg, typ: 'JWT', ...(privateKeyJwt.kid ? { kid: privateKeyJwt.kid } : {}) };
  // jose (loaded at the first assertion, not at import) signs the algorithms node:crypto is not wired for here.
  return async (agentId, audience, act) => {
    const { SignJWT } = await import('jose');
    return new SignJWT(claims(agentId, audience, act)).setProtectedHeader(header).sign(privateKey);
  };
}

