/**
 * The `X-Act-Assertion`: a short-lived JWT that names the person (`act`), signed
 * by the application's key, never by the IAM. Two uses:
 * - EntraID hybrid (the reference): Entra ID cannot put the person into its
 *   access token, so the agent's app signs the assertion (RS256, app key);
 * - the 'assertion' layout, for every vendor: the application that signed the
 *   person in signs it for the API and names the agent (`azp`); the agent only
 *   forwards it, so it cannot invent a person.
 * It is only worth something once verified: signature with the application's
 * key, `aud` = this API, a short lifetime, `act.sub`, `azp` = the token's agent,
 * (with bindAgentToken) `ath` = the hash of the access token it came with, and
 * (with a replay cache) a `jti` not used before.
 */
import { timingSafeEqual } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { ConfigurationError, DualAuthError } from '../errors.js';
import { MAX_JTI_LENGTH } from '../domain/jti.js';
import { ReplayCacheFullError, type ReplayCache } from '../domain/replay-cache.js';
import { computeAth } from '../jwt/ath.js';
import { algorithmForKey, APP_SIGNING_ALGORITHMS } from '../jwt/keys.js';
import { createLocalKeys, type VerificationKeys } from '../jwt/key-sources.js';
import { createJwtVerifier, MAX_JWT_LENGTH } from '../jwt/verifier.js';
import { createClaimsCheck } from '../jwt/verify.js';
import { POSITIVE, numberOption } from '../options.js';
import { mapVerifyError } from './errors.js';
import { humanFromAct } from './identity.js';
import { resolveAlgorithms } from './keys.js';
import type { HumanIdentity, VerifyOptions } from './types.js';

/** The reference signs with exp = iat + 300. */
export const DEFAULT_ACT_ASSERTION_MAX_AGE_SECONDS = 300;

export interface VerifiedAssertion {
  human: HumanIdentity;
  claims: JWTPayload;
}

export interface ActAssertionVerifier {
  /**
   * Verifies the assertion that came with `accessToken`, issued to `agentId`. An `azp` must equal
   * `agentId`; with `requireAgent` an assertion without `azp` is refused too. `signal` ends a wait
   * for the assertion's keys (an application JWKS that stalls) with ERR_ABORTED.
   */
  verify(assertion: string | undefined, accessToken: string, agentId: string, requireAgent: boolean, signal?: AbortSignal): Promise<VerifiedAssertion>;
  /** One-time use: records the verified assertion's `jti`; a second use is refused. Absent when off. */
  consume: ((claims: JWTPayload) => Promise<void>) | undefined;
}

/** How a JWKS URL becomes a key source: the verifier's own remote key sets (cache, cooldown, CA, signal). */
export type RemoteKeyFactory = (jwksUri: string) => VerificationKeys;

export function createActAssertionVerifier(options: VerifyOptions, clockToleranceSeconds: number, remoteKeys: RemoteKeyFactory): ActAssertionVerifier {
  const key = resolveAssertionKey(options, remoteKeys);
  const audience = options.actAssertionAudience ?? (typeof options.audience === 'string' ? options.audience : undefined);
  if (typeof audience !== 'string' || audience.length === 0) {
    throw new ConfigurationError('actAssertionAudience is required when audience is not a single string');
  }
  const maxAge = numberOption('actAssertionMaxAgeSeconds', options.actAssertionMaxAgeSeconds, DEFAULT_ACT_ASSERTION_MAX_AGE_SECONDS, POSITIVE);
  const bind = options.bindAgentToken === true;
  const replay = replayCheck(options, audience, clockToleranceSeconds);

  // Built once: the per-call path allocates nothing but the result.
  const verifyJwt = createJwtVerifier(key, assertionAlgorithms(options.actAssertionAlgorithms, key), {
    aborted: () => new DualAuthError('Verification aborted', 'ERR_ABORTED'),
  });
  const checkClaims = createClaimsCheck({
    audience,
    clockToleranceSeconds,
    maxTokenAgeSeconds: maxAge,
    requiredClaims: replay ? ['exp', 'iat', 'jti'] : ['exp', 'iat'],
    issuer: options.actAssertionIssuer,
  });

  return {
    async verify(assertion, accessToken, agentId, requireAgent, signal) {
      if (assertion === undefined || assertion === null || assertion === '') {
        throw new DualAuthError('X-Act-Assertion is missing', 'ERR_ACT_ASSERTION_MISSING');
      }
      // The format is checked strictly when it is parsed (src/jwt/verify.ts).
      if (typeof assertion !== 'string' || assertion.length > MAX_JWT_LENGTH) throw new DualAuthError('Act assertion is malformed', 'ERR_ACT_ASSERTION_INVALID');
      let claims: JWTPayload;
      try {
        claims = await verifyJwt(assertion, signal, checkClaims);
      } catch (error) {
        throw mapVerifyError(error, 'assertion');
      }
      // maxTokenAge bounds the age; this bounds the lifetime, so a long-lived assertion is refused up front.
      if ((claims.exp as number) - (claims.iat as number) > maxAge + clockToleranceSeconds) {
        throw new DualAuthError('Act assertion lifetime is too long', 'ERR_ACT_ASSERTION_INVALID');
      }
      // The application names the one agent it hands the person to; any other agent's token is refused.
      if (claims.azp !== undefined ? claims.azp !== agentId : requireAgent) {
        throw claims.azp === undefined
          ? new DualAuthError('Act assertion names no agent (azp)', 'ERR_ACT_ASSERTION_INVALID')
          : new DualAuthError('Act assertion names another agent', 'ERR_ACT_ASSERTION_AGENT_MISMATCH');
      }
      const human = humanFromAct(claims.act, 'ERR_ACT_ASSERTION_INVALID', 'Act assertion');
      if (bind && !athMatches(claims.ath, accessToken)) {
        throw new DualAuthError('Act assertion is not bound to this access token (ath)', 'ERR_ACT_ASSERTION_INVALID');
      }
      return { human, claims };
    },
    consume: replay,
  };
}

function replayCheck(options: VerifyOptions, audience: string, clockToleranceSeconds: number): ActAssertionVerifier['consume'] {
  const cache: ReplayCache | undefined = options.actAssertionReplayCache;
  if (cache === undefined) return undefined;
  if (cache === null || typeof cache.checkAndStore !== 'function') throw new ConfigurationError('actAssertionReplayCache must implement checkAndStore');
  const prefix = options.actAssertionReplayPrefix ?? `dual-auth:api:${audience}:`;
  if (typeof prefix !== 'string' || prefix.length === 0) throw new ConfigurationError('actAssertionReplayPrefix must be a non-empty string');

  return async (claims) => {
    const jti = claims.jti;
    // A jti that is not a string would never match itself in a store; an endless one would bloat it.
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw new DualAuthError('Act assertion jti is invalid', 'ERR_ACT_ASSERTION_INVALID');
    }
    const windowEnd = (claims.exp as number) + clockToleranceSeconds;
    // Checked again here: a slow authorization may end after the window, and a store forgets an entry
    // whose window is already over, so the same assertion could then be used once more.
    if (Date.now() / 1000 >= windowEnd) throw new DualAuthError('Act assertion has expired', 'ERR_ACT_ASSERTION_INVALID');
    let fresh: boolean;
    try {
      // Kept until the end of the window in which the verifier would still accept it.
      fresh = await cache.checkAndStore(`${prefix}${jti}`, windowEnd);
    } catch (cause) {
      // Refusing is the safe side: a cache that cannot record the jti cannot stop a replay.
      if (cause instanceof ReplayCacheFullError) throw new DualAuthError('Act assertion replay cache is full', 'ERR_ACT_ASSERTION_REPLAY');
      if (cause instanceof DualAuthError) throw cause;
      throw new DualAuthError('Act assertion replay cache is unavailable', 'ERR_REPLAY_STORE_UNAVAILABLE', { cause });
    }
    if (!fresh) throw new DualAuthError('Act assertion was already used (replay)', 'ERR_ACT_ASSERTION_REPLAY');
  };
}

function athMatches(ath: unknown, accessToken: string): boolean {
  if (typeof ath !== 'string') return false;
  const expected = Buffer.from(computeAth(accessToken));
  const given = Buffer.from(ath);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function resolveAssertionKey(options: VerifyOptions, remoteKeys: RemoteKeyFactory): VerificationKeys {
  const { actAssertionKey: key, actAssertionJwksUri: jwksUri } = options;
  if (key !== undefined && jwksUri !== undefined) throw new ConfigurationError('give either actAssertionKey or actAssertionJwksUri, not both');
  if (jwksUri !== undefined) {
    if (typeof jwksUri !== 'string' || jwksUri.length === 0) throw new ConfigurationError('actAssertionJwksUri must be an HTTPS URL');
    return remoteKeys(jwksUri);
  }
  if (key === undefined || key === null) {
    throw new ConfigurationError('actAssertionKey (the application public key) or actAssertionJwksUri is required');
  }
  return createLocalKeys(key, 'actAssertionKey');
}

/** Given algorithms (no none, no HS*), else the one the key signs with, else RS256, ES256 and EdDSA for a key set. */
function assertionAlgorithms(given: string[] | undefined, key: VerificationKeys): string[] {
  if (given !== undefined) return resolveAlgorithms(given);
  const single = key.single;
  if (single === undefined) return [...APP_SIGNING_ALGORITHMS];
  const alg = algorithmForKey(single);
  if (alg === undefined) throw new ConfigurationError('actAssertionKey must be an RSA, EC P-256 or Ed25519 public key (or give actAssertionAlgorithms)');
  return [alg];
}
