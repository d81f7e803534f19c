/**
 * Out-of-session: a remote agent receives the human identity as a short-lived
 * act JWT signed by the application (RS256 by default), verifies it, then
 * requests its token. An act assertion addressed to the agent and the API
 * (aud array) is verified the same way and then forwarded unchanged.
 *
 * The JWT is checked by the package's one JWT verifier (src/jwt/verifier.ts) with
 * one fixed key or the application's JWKS (src/jwt/key-sources.ts: cache,
 * cooldown, stale window, abort), its claims in PyJWT's order so that each
 * failure reads as the reference's ("Act JWT invalid: <PyJWT error class>").
 */
import { KeyObject, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWTPayload } from 'jose';
import type { BaseAdapter, TokenRequestParams } from '../adapters/base.js';
import type { TokenResponse } from '../domain/token-response.js';
import { ActVerificationError, ConfigurationError, DualAuthError, type DualAuthErrorCode } from '../errors.js';
import { isStrictCompactJws } from '../jwt/base64url.js';
import { createRemoteKeys, jwksSettings, singleKey, type JwksCacheOptions, type VerificationKeys } from '../jwt/key-sources.js';
import { algorithmForKey, APP_SIGNING_ALGORITHMS, keyLoadError, pythonFileErrorName, requireLargeEnoughKey, type AppSigningAlgorithm } from '../jwt/keys.js';
import { createJwtVerifier, MAX_JWT_LENGTH, type JwtVerifier } from '../jwt/verifier.js';
import { createClaimsCheck, type ClaimsCheck } from '../jwt/verify.js';
import type { CaOption } from '../http/tls.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { NON_NEGATIVE, POSITIVE, POSITIVE_INTEGER, numberOption } from '../options.js';
import { humanIdForLogging, type Act } from '../domain/act.js';
import { MAX_JTI_LENGTH } from '../domain/jti.js';
import { MemoryReplayCache, ReplayCacheFullError, type ReplayCache } from '../domain/replay-cache.js';
import { resolveTokenStore, type TokenCacheOption } from './token-cache.js';
import type { TokenStore } from './token-store.js';
import { requestDualSubjectToken, toParams } from './token-request.js';
import { SPANS, traced, type SpanRecorder } from '../telemetry/index.js';

const NO_ATTRIBUTES = Object.freeze({});

/** As the reference: no leeway. */
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 0;

/**
 * The longest act JWT lifetime (exp - iat) accepted by default: the longest ttl the
 * reference's sender signs without a warning (10..300 s; its default is 60 s).
 */
export const DEFAULT_MAX_ACT_LIFETIME_SECONDS = 300;

/**
 * Act JWTs must expire (exp), say when they were issued (iat, so their lifetime
 * is bounded) and be replay-checkable (jti); the reference requires none of them.
 */
const REQUIRED_CLAIMS = ['exp', 'iat', 'jti'] as const;

/** With `jwksUri`, the JWKS options (`jwksTimeoutMs`, `jwksCooldownMs`, `jwksCacheMaxAgeMs`, `jwksMaxStaleMs`) apply as for the verifier. */
export interface OutOfSessionTokenRequestOptions extends JwksCacheOptions {
  adapter: BaseAdapter;
  /** Path to the application's PEM public key (as in Python). */
  appPublicKeyPath?: string;
  /** The PEM text itself, or a KeyObject. */
  appPublicKey?: string | KeyObject;
  /**
   * Or the application's JWKS URL (HTTPS): keys picked by `kid`, rotation without restarts; cached,
   * refetched and kept through an outage as the verifier's (the `jwks*` options).
   */
  jwksUri?: string;
  /** Private CA for `jwksUri`. */
  ca?: CaOption;
  /** Require this `iss` (the reference checks none; its sender uses 'application'). */
  expectedIssuer?: string;
  /**
   * Algorithms the application may sign with: 'RS256', 'ES256', 'EdDSA' (see HybridSender's
   * `algorithm`). A public key of another type is refused at construction. Default is ['RS256'], as the reference.
   */
  algorithms?: readonly AppSigningAlgorithm[];
  /** Clock skew accepted on exp, nbf and iat; the replay memory keeps a jti this much longer. Default is 0 (seconds), as the reference. */
  clockToleranceSeconds?: number;
  /**
   * Where seen jtis are kept, each until the end of its JWT's acceptance window
   * (exp + clockToleranceSeconds). Default is a MemoryReplayCache (at most 100000 jtis, this process only).
   */
  replayCache?: ReplayCache;
  /**
   * Longest lifetime (exp - iat) of an accepted act JWT; longer ones are refused, so a
   * JWT cannot hold a replay-cache entry for long. Default is 300 (seconds): the longest
   * ttl the reference's sender signs without a warning. Raise it if your sender uses more.
   */
  maxLifetimeSeconds?: number;
  /** Longest act JWT accepted. Default is 16384 (characters). */
  maxJwtLength?: number;
  logger?: LoggerLike;
  /**
   * Reuse tokens until shortly before they expire. `true` or TokenCacheOptions: an
   * in-memory TokenCache for this handler; a TokenStore instance (a TokenCache, or
   * RedisTokenCache from dual-auth/redis for replicas) may be shared between handlers.
   * Default is off, as the reference (a new token for every call).
   */
  cache?: TokenCacheOption;
}

export interface VerifyActJwtParams {
  actJwt: string;
  /** This agent's endpoint: the JWT's required `aud` (one of them, when the application also addressed it to the API). */
  expectedAudience: string;
  /** This agent's client id: an act assertion naming another agent (`azp`) is refused. Default: `azp` not checked. */
  agentId?: string;
  /** Aborts the verification, e.g. while the application's JWKS is fetched (ERR_ABORTED). Default is none. */
  signal?: AbortSignal;
}

export class OutOfSessionTokenRequest {
  readonly adapter: BaseAdapter;
  /** Signature (with the one key, or the JWKS key of the JWT's `kid`) and claims. */
  private readonly verifyJwt: JwtVerifier;
  /** The claims check for the last audience asked for: an agent verifies for its one endpoint. */
  #claimsCheck: { audience: string; check: ClaimsCheck } | undefined;
  private readonly expectedIssuer: string | undefined;
  private readonly clockTolerance: number;
  private readonly replayCache: ReplayCache;
  private readonly maxJwtLength: number;
  private readonly maxLifetime: number;
  private readonly logger: Logger;
  private readonly cache: TokenStore | undefined;

  constructor(options: OutOfSessionTokenRequestOptions);
  /** Python-style: `new OutOfSessionTokenRequest(adapter, appPublicKeyPath)`. */
  constructor(adapter: BaseAdapter, appPublicKeyPath: string);
  constructor(first: OutOfSessionTokenRequestOptions | BaseAdapter, appPublicKeyPath?: string) {
    const options: OutOfSessionTokenRequestOptions =
      appPublicKeyPath !== undefined ? { adapter: first as BaseAdapter, appPublicKeyPath } : (first as OutOfSessionTokenRequestOptions);
    if (!options?.adapter || typeof options.adapter.requestToken !== 'function') {
      throw new DualAuthError('OutOfSessionTokenRequest needs an adapter', 'ERR_INVALID_ARGUMENT');
    }
    this.adapter = options.adapter;
    this.logger = toLogger(options.logger);
    const allowed = resolveAlgorithms(options.algorithms);
    const keys = loadVerificationKeys(options, this.logger, allowed);
    // A single key verifies the one algorithm it signs with.
    const algorithms = keys.single === undefined ? allowed : [algorithmForKey(keys.single)!];
    // An empty signature is parsed, so that `alg: none` is refused as PyJWT refuses it (InvalidAlgorithmError).
    this.verifyJwt = createJwtVerifier(keys, algorithms, { aborted: () => new DualAuthError('Act JWT verification aborted', 'ERR_ABORTED'), allowEmptySignature: true });
    this.expectedIssuer = options.expectedIssuer;
    this.clockTolerance = numberOption('clockToleranceSeconds', options.clockToleranceSeconds, DEFAULT_CLOCK_TOLERANCE_SECONDS, NON_NEGATIVE);
    this.replayCache = options.replayCache ?? new MemoryReplayCache();
    this.maxJwtLength = numberOption('maxJwtLength', options.maxJwtLength, MAX_JWT_LENGTH, POSITIVE_INTEGER);
    this.maxLifetime = numberOption('maxLifetimeSeconds', options.maxLifetimeSeconds, DEFAULT_MAX_ACT_LIFETIME_SECONDS, POSITIVE);
    this.cache = resolveTokenStore(options.cache);
    this.logger.info({ event: 'outofsession_handler_init', adapter_type: this.adapter.constructor.name }, 'Out-of-session handler initialized');
  }

  /** Verifies the act JWT (signature, exp, aud, iat, lifetime; jti not seen before; act.sub) and returns its act. */
  async receiveAndVerifyActJwt(params: VerifyActJwtParams): Promise<Act>;
  async receiveAndVerifyActJwt(actJwt: string, expectedAudience: string): Promise<Act>;
  async receiveAndVerifyActJwt(first: VerifyActJwtParams | string, expectedAudience?: string): Promise<Act> {
    const params = typeof first === 'string' ? { actJwt: first, expectedAudience: expectedAudience as string, agentId: undefined } : first ?? ({} as VerifyActJwtParams);
    return traced(SPANS.actJwtVerify, NO_ATTRIBUTES, (span) => this.#receiveAndVerifyActJwt(params, span));
  }

  async #receiveAndVerifyActJwt({ actJwt, expectedAudience: audience, agentId, signal }: VerifyActJwtParams, span: SpanRecorder | undefined): Promise<Act> {
    if (!audience || typeof audience !== 'string') throw new DualAuthError('expectedAudience is required', 'ERR_INVALID_ARGUMENT');
    if (signal?.aborted) throw this.fail('Act JWT verification aborted', 'ERR_ABORTED', 'jwt_verify_aborted');
    // Strict base64url before any parsing (RFC 7515 §2): the "DecodeError" of every malformed JWT, whatever its header says.
    if (typeof actJwt !== 'string' || actJwt.length > this.maxJwtLength || !isStrictCompactJws(actJwt, true)) {
      throw this.fail('Act JWT invalid: DecodeError', 'ERR_ACT_INVALID', 'jwt_invalid');
    }
    let payload: JWTPayload;
    try {
      payload = await this.verifyJwt(actJwt, signal, this.claimsCheckFor(audience));
    } catch (error) {
      throw this.mapVerifyError(error);
    }

    // Both are numbers here: required, and their types checked by the verification.
    const iat = payload.iat as number;
    const exp = payload.exp as number;
    // As PyJWT: an act JWT issued in the future is not valid yet.
    if (iat > Date.now() / 1000 + this.clockTolerance) {
      throw this.fail('Act JWT invalid: ImmatureSignatureError', 'ERR_ACT_INVALID', 'jwt_invalid');
    }
    // With iat at most now + tolerance, this also bounds exp: no JWT holds a replay-cache entry for long.
    if (exp - iat > this.maxLifetime) throw this.fail('Act JWT invalid: lifetime too long', 'ERR_ACT_INVALID', 'jwt_lifetime_too_long');
    // An act assertion is for one agent: forwarding another agent's would only be refused by the API.
    if (agentId !== undefined && payload.azp !== undefined && payload.azp !== agentId) {
      throw this.fail('Act JWT names another agent', 'ERR_ACT_INVALID', 'jwt_other_agent');
    }
    // A jti that is not a string (an object) would never match itself in a store, so it could be replayed.
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw this.fail('Act JWT invalid: InvalidJTIError', 'ERR_ACT_INVALID', 'jwt_invalid');
    }
    let fresh: boolean;
    try {
      // Kept until the end of the acceptance window: until then the JWT would still be accepted.
      fresh = await this.replayCache.checkAndStore(jti, exp + this.clockTolerance);
    } catch (error) {
      if (error instanceof ReplayCacheFullError) throw this.fail('Act JWT replay cache full', 'ERR_ACT_REPLAY', 'jwt_replay_cache_full');
      // A shared store that cannot answer refuses the JWT (fail closed); its error says why.
      this.logger.error({ event: 'jwt_replay_store_unavailable', code: (error as { code?: unknown } | null)?.code }, 'Act JWT replay store unavailable');
      throw error;
    }
    if (!fresh) throw this.fail('Act JWT replay detected', 'ERR_ACT_REPLAY', 'jwt_replay_detected', { jti });

    const act = payload.act as Act | undefined;
    if (act === null || typeof act !== 'object' || Array.isArray(act) || typeof act.sub !== 'string' || !act.sub.trim()) {
      throw this.fail('Act JWT must contain act.sub', 'ERR_ACT_MISSING_SUB', 'jwt_invalid_act');
    }
    span?.identity(agentId, act.sub);
    this.logger.info({ event: 'jwt_verified', human_id: humanIdForLogging(act.sub), exp: payload.exp, jti, audience }, 'Act JWT verified');
    return act;
  }

  async requestToken(params: TokenRequestParams): Promise<TokenResponse>;
  async requestToken(agentId: string, act: Act, scope: readonly string[] | string): Promise<TokenResponse>;
  async requestToken(first: TokenRequestParams | string, act?: Act, scope?: readonly string[] | string): Promise<TokenResponse> {
    return requestDualSubjectToken(this.adapter, toParams(first, act, scope), 'outofsession', this.logger, this.cache);
  }

  /** The act JWT's claims check for `audience`: the required claims, exp, nbf, aud and iss, in PyJWT's order. */
  private claimsCheckFor(audience: string): ClaimsCheck {
    if (this.#claimsCheck?.audience !== audience) {
      const check = createClaimsCheck({
        audience,
        issuer: this.expectedIssuer,
        clockToleranceSeconds: this.clockTolerance,
        requiredClaims: REQUIRED_CLAIMS,
        order: 'pyjwt',
      });
      this.#claimsCheck = { audience, check };
    }
    return this.#claimsCheck.check;
  }

  /** By jose's error codes (those of src/jwt's checks and of jose's key sets) into the reference's texts. */
  private mapVerifyError(error: unknown): ActVerificationError {
    const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
    switch (code) {
      case 'ERR_JWT_EXPIRED':
        return this.fail('Act JWT expired', 'ERR_ACT_EXPIRED', 'jwt_expired');
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        if (reason === 'missing') return this.fail('Act JWT invalid: MissingRequiredClaimError', 'ERR_ACT_INVALID', 'jwt_invalid');
        if (claim === 'aud') return this.fail('Act JWT invalid audience', 'ERR_ACT_AUDIENCE', 'jwt_invalid_audience');
        if (claim === 'iss') return this.fail('Act JWT invalid: InvalidIssuerError', 'ERR_ACT_ISSUER', 'jwt_invalid');
        if (claim === 'nbf') return this.fail('Act JWT invalid: ImmatureSignatureError', 'ERR_ACT_INVALID', 'jwt_invalid');
        if (claim === 'iat') return this.fail('Act JWT invalid: InvalidIssuedAtError', 'ERR_ACT_INVALID', 'jwt_invalid');
        return this.fail('Act JWT invalid: InvalidTokenError', 'ERR_ACT_INVALID', 'jwt_invalid');
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      case 'ERR_JWKS_NO_MATCHING_KEY':
        return this.fail('Act JWT signature invalid', 'ERR_ACT_SIGNATURE', 'jwt_invalid_signature');
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return this.fail('Act JWT invalid: InvalidAlgorithmError', 'ERR_ACT_INVALID', 'jwt_invalid');
      case 'ERR_JWS_INVALID':
        // As PyJWT: a header without a usable `alg` is an algorithm error; anything else malformed a DecodeError.
        if (claim === 'alg') return this.fail('Act JWT invalid: InvalidAlgorithmError', 'ERR_ACT_INVALID', 'jwt_invalid');
        break;
      case 'ERR_ABORTED':
        return this.fail('Act JWT verification aborted', 'ERR_ABORTED', 'jwt_verify_aborted');
      case 'ERR_JWKS_TIMEOUT':
        return this.fail('Act JWT invalid: KeyFetchError', 'ERR_ACT_INVALID', 'jwt_key_fetch_failed');
    }
    if (error instanceof DualAuthError) return this.fail('Act JWT invalid: KeyFetchError', 'ERR_ACT_INVALID', 'jwt_key_fetch_failed');
    return this.fail('Act JWT invalid: DecodeError', 'ERR_ACT_INVALID', 'jwt_invalid');
  }

  private fail(message: string, code: DualAuthErrorCode, event: string, extra: Record<string, unknown> = {}): ActVerificationError {
    this.logger.error({ event, ...extra }, message);
    return new ActVerificationError(message, code);
  }
}

function resolveAlgorithms(algorithms: OutOfSessionTokenRequestOptions['algorithms']): AppSigningAlgorithm[] {
  if (algorithms === undefined) return ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((alg) => APP_SIGNING_ALGORITHMS.includes(alg))) {
    throw new DualAuthError("algorithms must be a non-empty array of 'RS256', 'ES256', 'EdDSA'", 'ERR_INVALID_ARGUMENT');
  }
  return [...algorithms];
}

const JWKS_ONLY_OPTIONS = ['jwksTimeoutMs', 'jwksCooldownMs', 'jwksCacheMaxAgeMs', 'jwksMaxStaleMs'] as const satisfies ReadonlyArray<keyof JwksCacheOptions>;

/** One public key (the reference: a PEM file), or the application's JWKS; an RSA key under 2048 bits is refused here. */
function loadVerificationKeys(options: OutOfSessionTokenRequestOptions, logger: Logger, algorithms: readonly AppSigningAlgorithm[]): VerificationKeys {
  if (options.jwksUri) return createRemoteKeys({ jwksUri: options.jwksUri, ca: options.ca, ...jwksSettings(options) });
  // Options of the JWKS given with a fixed key would be ignored: refused, as every unusable option.
  const unused = JWKS_ONLY_OPTIONS.filter((name) => options[name] !== undefined);
  if (unused.length > 0) throw new ConfigurationError(`${unused.join(', ')}: only used with jwksUri`);
  const source = options.appPublicKey ?? options.appPublicKeyPath;
  if (!source) throw new DualAuthError('OutOfSessionTokenRequest needs appPublicKeyPath, appPublicKey or jwksUri', 'ERR_INVALID_ARGUMENT');
  const path = typeof source === 'string' && !source.includes('-----BEGIN') ? source : undefined;
  let pem: string | KeyObject = source;
  if (path !== undefined) {
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      const errorType = pythonFileErrorName(error);
      logger.error({ event: 'public_key_load_error', error_type: errorType }, 'Failed to load public key');
      throw keyLoadError('public', errorType, path, { cause: error });
    }
  }
  let key: KeyObject;
  try {
    // A private key given by mistake yields its public half.
    key = pem instanceof KeyObject && pem.type === 'public' ? pem : createPublicKey(pem);
  } catch (error) {
    logger.error({ event: 'public_key_load_error', error_type: 'ValueError' }, 'Failed to load public key');
    throw keyLoadError('public', 'ValueError', path, { cause: error });
  }
  // Only a key of an allowed algorithm is accepted (RSA by default); an ES256 or EdDSA key is
  // the usual slip (keygen --alg without `algorithms`), so the hint names the option to set.
  const alg = algorithmForKey(key);
  if (alg === undefined || !algorithms.includes(alg)) {
    logger.error({ event: 'public_key_load_error', error_type: 'ValueError' }, 'Failed to load public key');
    const found = alg === undefined ? '' : `: it is an ${alg} key (pass algorithms: ['${alg}'])`;
    throw keyLoadError('public', 'ValueError', path, { expected: `a public key for ${algorithms.join(' or ')}${found}` });
  }
  try {
    requireLargeEnoughKey(key, 'public', path);
  } catch (error) {
    logger.error({ event: 'public_key_load_error', error_type: 'KeyTooSmall' }, 'Failed to load public key');
    throw error;
  }
  return singleKey(key);
}
