/**
 * The EntraID hybrid: Entra ID cannot put the human into its access token, so
 * the agent's app signs an "act assertion" (RS256, app key) that travels as the
 * `X-Act-Assertion` header. It is only worth something once verified: signature
 * with the app's public key, `aud` = this API, a short lifetime, `act.sub`, and
 * (with bindAgentToken) `ath` = the hash of the access token it came with.
 */
import { timingSafeEqual } from 'node:crypto';
import { jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { KeyObject } from 'node:crypto';
import { ConfigurationError, DualAuthError } from '../errors.js';
import { computeAth } from '../jwt/ath.js';
import { isStrictCompactJws } from '../jwt/base64url.js';
import { POSITIVE, numberOption } from '../options.js';
import { mapVerifyError } from './errors.js';
import { humanFromAct } from './identity.js';
import { isCryptoKey, publicKeyFromPem, requirePublicCryptoKey, requirePublicKeyObject } from './keys.js';
import type { HumanIdentity, VerifyOptions } from './types.js';

/** The reference signs with exp = iat + 300. */
export const DEFAULT_ACT_ASSERTION_MAX_AGE_SECONDS = 300;
/** Larger inputs are refused before parsing: no legitimate assertion comes near. */
export const MAX_JWT_LENGTH = 16 * 1024;

export interface ActAssertionVerifier {
  verify(assertion: string | undefined, accessToken: string): Promise<{ human: HumanIdentity; claims: JWTPayload }>;
}

export function createActAssertionVerifier(options: VerifyOptions, clockToleranceSeconds: number): ActAssertionVerifier {
  const key = resolveAssertionKey(options.actAssertionKey);
  const audience = options.actAssertionAudience ?? (typeof options.audience === 'string' ? options.audience : undefined);
  if (typeof audience !== 'string' || audience.length === 0) {
    throw new ConfigurationError('entraid: actAssertionAudience is required when audience is not a single string');
  }
  const maxAge = numberOption('actAssertionMaxAgeSeconds', options.actAssertionMaxAgeSeconds, DEFAULT_ACT_ASSERTION_MAX_AGE_SECONDS, POSITIVE);
  const bind = options.bindAgentToken === true;

  // Built once: the per-call path allocates nothing but the result.
  const verifyOptions: JWTVerifyOptions = {
    algorithms: ['RS256'],
    audience,
    clockTolerance: clockToleranceSeconds,
    maxTokenAge: maxAge,
    requiredClaims: ['exp', 'iat'],
    ...(options.actAssertionIssuer !== undefined ? { issuer: options.actAssertionIssuer } : {}),
  };

  return {
    async verify(assertion, accessToken) {
      if (assertion === undefined || assertion === null || assertion === '') {
        throw new DualAuthError('X-Act-Assertion is missing', 'ERR_ACT_ASSERTION_MISSING');
      }
      if (typeof assertion !== 'string' || assertion.length > MAX_JWT_LENGTH || !isStrictCompactJws(assertion)) {
        throw new DualAuthError('Act assertion is malformed', 'ERR_ACT_ASSERTION_INVALID');
      }
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(assertion, key, verifyOptions));
      } catch (error) {
        throw mapVerifyError(error, 'assertion');
      }
      // maxTokenAge bounds the age; this bounds the lifetime, so a long-lived assertion is refused up front.
      if ((claims.exp as number) - (claims.iat as number) > maxAge + clockToleranceSeconds) {
        throw new DualAuthError('Act assertion lifetime is too long', 'ERR_ACT_ASSERTION_INVALID');
      }
      const human = humanFromAct(claims.act, 'ERR_ACT_ASSERTION_INVALID', 'Act assertion');
      if (bind && !athMatches(claims.ath, accessToken)) {
        throw new DualAuthError('Act assertion is not bound to this access token (ath)', 'ERR_ACT_ASSERTION_INVALID');
      }
      return { human, claims };
    },
  };
}

function athMatches(ath: unknown, accessToken: string): boolean {
  if (typeof ath !== 'string') return false;
  const expected = Buffer.from(computeAth(accessToken));
  const given = Buffer.from(ath);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function resolveAssertionKey(key: VerifyOptions['actAssertionKey']): KeyObject | CryptoKey {
  if (key === undefined) throw new ConfigurationError('entraid: actAssertionKey (the app public key) is required');
  if (typeof key === 'string') return publicKeyFromPem(key, 'actAssertionKey');
  if (isCryptoKey(key)) return requirePublicCryptoKey(key, 'actAssertionKey');
  if (typeof key === 'object' && key !== null && typeof (key as KeyObject).type === 'string' && typeof (key as KeyObject).export === 'function') {
    return requirePublicKeyObject(key as KeyObject, 'actAssertionKey');
  }
  throw new ConfigurationError('actAssertionKey must be PEM text, a public KeyObject or a CryptoKey');
}
