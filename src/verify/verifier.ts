/**
 * verifyDualSubjectToken / createDualSubjectVerifier: the resource server's
 * check of a dual-subject token. Signature (JWKS or given key, allow-listed
 * algorithms), iss, aud, exp (required), nbf, then the vendor profile (agent
 * id, roles, scopes), the human in the accepted layout(s) (`act.sub`; `sub` of
 * a delegated token; the verified X-Act-Assertion) and the policy.
 *
 * Everything that does not depend on the token is built once, in
 * createDualSubjectVerifier; the per-call path is one node:crypto signature
 * check (src/jwt/verifier.ts) plus a few property reads.
 */
import type { JWTPayload } from 'jose';
import { ConfigurationError, DualAuthError } from '../errors.js';
import { toLogger } from '../logging.js';
import { NON_NEGATIVE, numberOption } from '../options.js';
import { createRemoteKeys, createLocalKeys, jwksSettings, type RemoteKeyOptions, type VerificationKeys } from '../jwt/key-sources.js';
import { createJwtVerifier, MAX_JWT_LENGTH } from '../jwt/verifier.js';
import { createClaimsCheck } from '../jwt/verify.js';
import { createActAssertionVerifier } from './act-assertion.js';
import { mapVerifyError } from './errors.js';
import { agentFromClaims } from './identity.js';
import { checkAssertionOptions, createPersonReader, layoutsUseAssertion, resolveLayoutSettings } from './layout.js';
import { resolveAlgorithms } from './keys.js';
import { createPolicy } from './policy.js';
import { SPANS, traced, type SpanRecorder } from '../telemetry/index.js';
import { getProfile } from './profiles.js';
import type { DualSubjectIdentity, DualSubjectVerifier, VerifyCallOptions, VerifyOptions } from './types.js';

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Builds a verifier for one API. Keep it for the life of the process: it holds
 * the JWKS cache (keys are fetched once, refetched on an unknown `kid` at most
 * once per cooldown, and after `jwksCacheMaxAgeMs`).
 */
export function createDualSubjectVerifier(options: VerifyOptions): DualSubjectVerifier {
  return buildVerifier(options, false);
}

/**
 * One-shot verification. Remote key sets are shared between calls with the
 * same `jwksUri` and `ca`, so calling this per request does not fetch the JWKS
 * per request; createDualSubjectVerifier is still the faster path.
 */
export async function verifyDualSubjectToken(
  token: string | undefined | null,
  options: VerifyOptions & VerifyCallOptions,
): Promise<DualSubjectIdentity> {
  const verifier = buildVerifier(options, true);
  return verifier(token, options);
}

function buildVerifier(options: VerifyOptions, shareRemote: boolean): DualSubjectVerifier {
  if (!options || typeof options !== 'object') throw new ConfigurationError('verify options are required');
  const profile = getProfile(options.vendor);
  if (!profile) throw new ConfigurationError('vendor must be one of: keycloak, auth0, okta, entraid');
  const issuer = nonEmptyStrings(options.issuer, 'issuer');
  const audience = nonEmptyStrings(options.audience, 'audience');
  const clockTolerance = numberOption('clockToleranceSeconds', options.clockToleranceSeconds, DEFAULT_CLOCK_TOLERANCE_SECONDS, NON_NEGATIVE);
  const algorithms = resolveAlgorithms(options.algorithms);
  const outerSignal = options.signal;
  const key = resolveKeys(options, issuer, shareRemote);
  const layoutSettings = resolveLayoutSettings(options, profile);
  checkAssertionOptions(options, layoutSettings.layouts, profile);
  if (options.actAssertionIssuer !== undefined) nonEmptyStrings(options.actAssertionIssuer, 'actAssertionIssuer');
  const assertions = layoutsUseAssertion(layoutSettings.layouts, profile)
    ? createActAssertionVerifier(options, clockTolerance, (jwksUri) => remoteKeys(options, jwksUri, shareRemote))
    : undefined;
  // Auth0 Actions may not set `act` (a restricted claim): they set a namespaced one instead.
  const actClaim = claimName(options.actClaim, 'actClaim') ?? 'act';
  const person = createPersonReader(layoutSettings, profile, actClaim, assertions);
  const consumeAssertion = assertions?.consume;
  const policy = createPolicy(options);
  const logger = toLogger(options.logger);

  const verifyJwt = createJwtVerifier(key, algorithms, { aborted: abortedError });
  const checkClaims = createClaimsCheck({ issuer, audience, clockToleranceSeconds: clockTolerance });

  const verifyOnce = async (token: string | undefined | null, call: VerifyCallOptions | undefined, span: SpanRecorder | undefined): Promise<DualSubjectIdentity> => {
    try {
      if (token === undefined || token === null || token === '') {
        throw new DualAuthError('Access token is missing', 'ERR_TOKEN_MISSING');
      }
      // Longer than any real token: refused before parsing. The format is checked strictly next (src/jwt/verify.ts).
      if (typeof token !== 'string' || token.length > MAX_JWT_LENGTH) throw new DualAuthError('Access token is malformed', 'ERR_TOKEN_INVALID');
      const signal = call?.signal ?? outerSignal;
      if (outerSignal?.aborted || signal?.aborted) throw new DualAuthError('Verification aborted', 'ERR_ABORTED');

      let claims: JWTPayload;
      try {
        // A remote key set learns the signal, so that an aborted call does not leave its JWKS fetch running.
        claims = await verifyJwt(token, signal, checkClaims);
      } catch (error) {
        throw mapVerifyError(error, 'token');
      }

      // exp is checked only when present; a token without exp would never expire.
      if (typeof claims.exp !== 'number') throw new DualAuthError('Access token lacks a required claim (exp)', 'ERR_TOKEN_INVALID');
      const agentId = profile.agentId(claims);
      if (agentId === undefined) throw new DualAuthError('Access token names no agent (client id)', 'ERR_TOKEN_INVALID');
      const { human, layout, assertionClaims } = await person.read(claims, agentId, token, call, signal);
      // In the delegated layout `sub` is the person, not the agent.
      const agent = agentFromClaims(claims, profile, agentId, layout !== 'delegated');
      const identity: DualSubjectIdentity = assertionClaims
        ? { agent, human, layout, claims, actAssertionClaims: assertionClaims }
        : { agent, human, layout, claims };
      if (policy) await policy(agent, human, call?.request);
      // Last: a call refused for any other reason does not use up a one-time assertion.
      if (consumeAssertion && assertionClaims) await consumeAssertion(assertionClaims);
      span?.identity(agent.id, human.id);
      span?.set({ 'dual_auth.layout': layout });
      return identity;
    } catch (error) {
      const failure = error instanceof DualAuthError ? error : new DualAuthError('Verification failed', 'ERR_TOKEN_INVALID', { cause: error });
      // The code only: never the token or the claims.
      logger.debug({ event: 'dual_auth_verify_failed', vendor: profile.vendor, code: failure.code }, 'Token verification failed');
      throw failure;
    }
  };
  const spanAttributes = { 'dual_auth.vendor': profile.vendor };
  const verifyDualSubject = (token: string | undefined | null, call?: VerifyCallOptions): Promise<DualSubjectIdentity> =>
    traced(SPANS.tokenVerify, spanAttributes, (span) => verifyOnce(token, call, span));
  return Object.assign(verifyDualSubject, { readsActAssertion: person.readsAssertion });
}

function resolveKeys(options: VerifyOptions, issuer: string | string[], shareRemote: boolean): VerificationKeys {
  if (options.key !== undefined) {
    if (options.jwksUri !== undefined) throw new ConfigurationError('give either key or jwksUri, not both');
    return createLocalKeys(options.key);
  }
  let jwksUri = options.jwksUri;
  if (jwksUri === undefined && typeof issuer === 'string') jwksUri = getProfile(options.vendor)?.defaultJwksUri(issuer);
  if (typeof jwksUri !== 'string' || jwksUri.length === 0) {
    throw new ConfigurationError('jwksUri (or key) is required: no default JWKS location for this issuer');
  }
  return remoteKeys(options, jwksUri, shareRemote);
}

/** A remote key set for `jwksUri` (the IAM's, or the application's for act assertions) with the verifier's fetch settings. */
function remoteKeys(options: VerifyOptions, jwksUri: string, shareRemote: boolean): VerificationKeys {
  const remote: RemoteKeyOptions = { jwksUri, ca: options.ca, ...jwksSettings(options) };
  if (!shareRemote) return createRemoteKeys({ ...remote, signal: options.signal });
  return sharedRemoteKeys(remote);
}

// verifyDualSubjectToken's shared key sets, bounded so varying URLs cannot grow it without end.
const SHARED_LIMIT = 32;
const shared = new Map<string, VerificationKeys>();

function sharedRemoteKeys(remote: RemoteKeyOptions): VerificationKeys {
  const ca = remote.ca === undefined ? '' : (Array.isArray(remote.ca) ? remote.ca : [remote.ca]).map(String).join('\n');
  const cacheKey = JSON.stringify([remote.jwksUri, ca, remote.timeoutMs, remote.cooldownMs, remote.cacheMaxAgeMs, remote.maxStaleMs]);
  let set = shared.get(cacheKey);
  if (!set) {
    set = createRemoteKeys(remote);
    if (shared.size >= SHARED_LIMIT) shared.delete(shared.keys().next().value as string);
    shared.set(cacheKey, set);
  }
  return set;
}

const abortedError = (): DualAuthError => new DualAuthError('Verification aborted', 'ERR_ABORTED');

/** A JWT claim name: a non-empty string without whitespace or control characters, at most 256 characters. */
function claimName(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[\s\p{Cc}]/u.test(value)) {
    throw new ConfigurationError(`${name} must be a claim name: a non-empty string without whitespace, e.g. 'act' or 'https://api.example.com/act'`);
  }
  return value;
}

function nonEmptyStrings(value: unknown, name: string): string | string[] {
  if (typeof value === 'string' && value.length > 0) return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v.length > 0)) return [...value];
  throw new ConfigurationError(`${name} must be a non-empty string or array of strings`);
}
