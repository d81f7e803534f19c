/**
 * HybridSender: turns the web app's logged-in human into an `act` claim, and for
 * out-of-session agents signs it as a short-lived JWT (RS256 by default) for one
 * agent endpoint, or as an act assertion that the agent forwards to the API
 * unchanged (`X-Act-Assertion`): the application vouches for the person, the agent cannot.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { signCompact } from '../jwt/compact.js';
import { APP_SIGNING_ALGORITHMS, loadSigningKey, type AppSigningAlgorithm } from '../jwt/keys.js';
import { DualAuthError } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { POSITIVE_INTEGER, numberOption } from '../options.js';
import { humanIdForLogging, validateAct, type Act } from '../domain/act.js';
import { newJti, nowSeconds } from '../domain/jti.js';
import { UserSession } from '../domain/user-session.js';
import { REDACTED } from '../domain/redaction.js';

/** As the reference. */
const DEFAULT_TTL_SECONDS = 60;

export interface HybridSenderOptions {
  /** The application's private key: a path to a PEM file (as in Python) or the PEM text itself. Needed only out-of-session. */
  privateKeyPem?: string;
  /** The same as a KeyObject. */
  privateKey?: KeyObject;
  /**
   * The algorithm the application key signs with: 'RS256' (RSA key), 'ES256' (EC P-256 key) or
   * 'EdDSA' (Ed25519 key); a key of another type is refused at construction. ES256 and EdDSA sign
   * much faster; agents running the Python package verify RS256 only. Default is 'RS256', as the reference.
   */
  algorithm?: AppSigningAlgorithm;
  /**
   * `kid` header on act JWTs, so verifiers can pick the key from a JWKS (key rotation). Default none on
   * `prepareOutOfSessionAct`, as the reference; `prepareActAssertion` and `publicJwks` then use the key's
   * RFC 7638 thumbprint.
   */
  kid?: string;
  /** `iss` and `sub` of act JWTs. Default 'application', as the reference. */
  issuer?: string;
  /** Also set `nbf` = iat (the reference does not). */
  notBefore?: boolean;
  logger?: LoggerLike;
}

export interface OutOfSessionActParams {
  act: Act;
  /** The remote agent's HTTPS endpoint: the JWT's audience. */
  agentEndpoint: string;
  /** Lifetime; default 60 s. Outside 10..300 only warns, as in the reference. */
  ttlSeconds?: number;
}

export interface ActAssertionParams {
  act: Act;
  /** The agent's OAuth client id: the assertion's `azp`. The API accepts it only with a token of this agent. */
  agentId: string;
  /** The API's audience (the `actAssertionAudience` its verifier expects). */
  apiAudience: string;
  /**
   * The agent's HTTPS endpoint, when the agent should verify the assertion too (aud = [endpoint, API]).
   * Default none: aud = the API only, and the agent forwards it unread.
   */
  agentEndpoint?: string;
  /** Lifetime in seconds. Default is 60 (one minute); the API refuses more than its `actAssertionMaxAgeSeconds` (300). */
  ttlSeconds?: number;
}

/** A session dict or OIDC claims: the keys `extractActFromSession` understands. */
export type SessionLike = UserSession | Record<string, unknown>;

export class HybridSender {
  readonly #privateKey: KeyObject | undefined;
  readonly algorithm: AppSigningAlgorithm;
  private readonly kid: string | undefined;
  #publicJwk: Promise<JWK> | undefined;
  private readonly issuer: string;
  private readonly notBefore: boolean;
  private readonly logger: Logger;

  constructor(options: HybridSenderOptions | string = {}) {
    const settings: HybridSenderOptions = typeof options === 'string' ? { privateKeyPem: options } : options ?? {};
    this.logger = toLogger(settings.logger);
    this.kid = settings.kid;
    this.issuer = settings.issuer ?? 'application';
    this.notBefore = settings.notBefore ?? false;
    this.algorithm = settings.algorithm ?? 'RS256';
    if (!APP_SIGNING_ALGORITHMS.includes(this.algorithm)) {
      throw new DualAuthError("algorithm must be 'RS256', 'ES256' or 'EdDSA'", 'ERR_INVALID_ARGUMENT');
    }
    const source = settings.privateKey ?? settings.privateKeyPem;
    if (source) {
      try {
        this.#privateKey = loadSigningKey(source, this.algorithm);
      } catch (error) {
        this.logger.error({ event: 'hybrid_sender_key_error', error_type: (error as Error).name }, 'Failed to load private key');
        throw error;
      }
      this.logger.info({ event: 'hybrid_sender_init_full' }, 'HybridSender initialized with out-of-session capability');
    } else {
      this.logger.info({ event: 'hybrid_sender_init_insession' }, 'HybridSender initialized (in-session only)');
    }
  }

  /**
   * The act claim from a UserSession, a session dict or OIDC claims:
   * email from email | user_email | userPrincipalName | mail (required);
   * id from user_id | sub | oid | uid; name from name | display_name | displayName.
   * Result `{ sub: id or email, email, name?, oid? }`. Unlike the reference, `oid` is kept (Entra ID needs it).
   */
  extractActFromSession(session: SessionLike): Act {
    let email: unknown;
    let name: unknown;
    let userId: unknown;
    let oid: unknown;
    if (session instanceof UserSession || (isObject(session) && 'userEmail' in session)) {
      const user = session as UserSession;
      email = user.userEmail;
      name = user.userName;
      userId = user.userId;
    } else if (isObject(session)) {
      email = first(session, ['email', 'user_email', 'userPrincipalName', 'mail']);
      if (!email) this.missingEmail();
      userId = first(session, ['user_id', 'sub', 'oid', 'uid']);
      name = first(session, ['name', 'display_name', 'displayName']);
      oid = session.oid;
    } else {
      throw new DualAuthError('Session must be UserSession or dictionary', 'ERR_INVALID_ARGUMENT');
    }
    if (!email) this.missingEmail();
    if (typeof email !== 'string' || (userId && typeof userId !== 'string') || (name && typeof name !== 'string')) {
      throw new DualAuthError('Session identity fields must be strings', 'ERR_INVALID_ARGUMENT');
    }
    // A printed session read back (its redacted form) must not become a person named ***REDACTED***.
    if (email === REDACTED || userId === REDACTED || name === REDACTED) {
      throw new DualAuthError('Session identity fields are redacted placeholders, not the person', 'ERR_INVALID_ARGUMENT');
    }
    const sub = (userId as string) || email;
    const act: Act = { sub, email };
    if (name) act.name = name as string;
    if (typeof oid === 'string' && oid) act.oid = oid;
    this.logger.info(
      { event: 'act_extracted', human_id: humanIdForLogging(sub), has_name: Boolean(name), id_type: userId ? 'iam_identifier' : 'email_fallback' },
      'Human identity extracted from session',
    );
    return act;
  }

  /** In-session: the act travels in memory, unchanged. */
  prepareInSessionAct(act: Act): Act {
    this.logger.debug({ event: 'act_prepared_in_session', human_id: humanIdForLogging(act?.sub) }, 'Act prepared for in-session');
    return act;
  }

  /** Out-of-session: the act signed RS256 for one agent endpoint (aud), valid `ttlSeconds`. */
  async prepareOutOfSessionAct(params: OutOfSessionActParams): Promise<string>;
  async prepareOutOfSessionAct(act: Act, agentEndpoint: string, ttlSeconds?: number): Promise<string>;
  async prepareOutOfSessionAct(first: OutOfSessionActParams | Act, agentEndpoint?: string, ttlSeconds?: number): Promise<string> {
    const params: OutOfSessionActParams = agentEndpoint === undefined ? (first as OutOfSessionActParams) : { act: first as Act, agentEndpoint, ttlSeconds };
    const { act, agentEndpoint: endpoint } = params ?? ({} as OutOfSessionActParams);
    const ttl = numberOption('ttlSeconds', params?.ttlSeconds, DEFAULT_TTL_SECONDS, POSITIVE_INTEGER);
    const key = this.signingKey();
    this.checkAct(act);
    this.checkEndpoint(endpoint);
    this.warnUnusualTtl(ttl);

    const now = nowSeconds();
    const jti = newJti();
    // Claims in the Python order: the same bytes on the wire.
    const claims: Record<string, unknown> = { iss: this.issuer, sub: this.issuer, aud: endpoint, exp: now + ttl, iat: now, jti, act };
    if (this.notBefore) claims.nbf = now;
    const jwt = signCompact(this.algorithm, { alg: this.algorithm, typ: 'JWT', ...(this.kid ? { kid: this.kid } : {}) }, claims, key);
    this.logger.info(
      { event: 'act_prepared_out_of_session', human_id: humanIdForLogging(act.sub), agent_endpoint: endpoint, ttl_seconds: ttl, exp: now + ttl, jti },
      'Act prepared for out-of-session',
    );
    return jwt;
  }

  /**
   * An act assertion for the API: the person (`act`), signed with the application's key, naming the
   * agent (`azp`) and addressed to the API (and, with `agentEndpoint`, to the agent as well). The agent
   * forwards it unchanged as `X-Act-Assertion`; the API checks it with the application's public key
   * (`publicJwks()`), and accepts it only with an access token of that agent. The `kid` header is always set.
   */
  async prepareActAssertion(params: ActAssertionParams): Promise<string> {
    const { act, agentId, apiAudience, agentEndpoint } = params ?? ({} as ActAssertionParams);
    const ttl = numberOption('ttlSeconds', params?.ttlSeconds, DEFAULT_TTL_SECONDS, POSITIVE_INTEGER);
    const key = this.signingKey();
    this.checkAct(act);
    if (typeof agentId !== 'string' || agentId.length === 0) throw new DualAuthError('agentId is required', 'ERR_INVALID_ARGUMENT');
    if (typeof apiAudience !== 'string' || apiAudience.length === 0) throw new DualAuthError('apiAudience is required', 'ERR_INVALID_ARGUMENT');
    if (agentEndpoint !== undefined) this.checkEndpoint(agentEndpoint);
    this.warnUnusualTtl(ttl);

    const kid = await this.keyId();
    const now = nowSeconds();
    const jti = newJti();
    const claims: Record<string, unknown> = {
      iss: this.issuer,
      sub: this.issuer,
      aud: agentEndpoint === undefined ? apiAudience : [agentEndpoint, apiAudience],
      azp: agentId,
      exp: now + ttl,
      iat: now,
      jti,
      act,
    };
    if (this.notBefore) claims.nbf = now;
    const jwt = signCompact(this.algorithm, { alg: this.algorithm, typ: 'JWT', kid }, claims, key);
    this.logger.info(
      { event: 'act_assertion_prepared', human_id: humanIdForLogging(act.sub), agent_id: agentId, api_audience: apiAudience, ttl_seconds: ttl, exp: now + ttl, jti },
      'Act assertion prepared for the API',
    );
    return jwt;
  }

  /**
   * The application's public key as a JWK Set (`kid`, `alg`, `use: 'sig'`), for the API's
   * `actAssertionKey` or to publish at the URL given as `actAssertionJwksUri`. To rotate, publish the
   * old and the new key together until assertions signed with the old one have expired.
   */
  async publicJwks(): Promise<JSONWebKeySet> {
    return { keys: [{ ...(await this.publicJwk()) }] };
  }

  private publicJwk(): Promise<JWK> {
    const key = this.signingKey();
    this.#publicJwk ??= (async () => {
      // jose is loaded here, when a key set is first asked for, not when the package is imported.
      const { calculateJwkThumbprint, exportJWK } = await import('jose');
      const jwk = await exportJWK(createPublicKey(key));
      return { ...jwk, kid: this.kid ?? (await calculateJwkThumbprint(jwk)), alg: this.algorithm, use: 'sig' };
    })();
    return this.#publicJwk;
  }

  private async keyId(): Promise<string> {
    return this.kid ?? ((await this.publicJwk()).kid as string);
  }

  private signingKey(): KeyObject {
    if (!this.#privateKey) {
      this.logger.error({ event: 'missing_private_key' }, 'Out-of-session requires private key');
      throw new DualAuthError('HybridSender not configured for out-of-session - initialize with private_key_pem parameter', 'ERR_KEY_LOAD');
    }
    return this.#privateKey;
  }

  /** The reference's text for an act without `sub`; then the adapters' check (validateAct), and a blank `sub` refused as the receivers refuse it. */
  private checkAct(act: unknown): asserts act is Act {
    try {
      if (!isObject(act) || !('sub' in act)) throw new DualAuthError("Act must contain 'sub' field", 'ERR_INVALID_ACT');
      validateAct(act);
      if (!act.sub.trim()) throw new DualAuthError("Act claim 'sub' field cannot be empty", 'ERR_INVALID_ACT');
    } catch (error) {
      this.logger.error({ event: 'invalid_act', has_act: act != null }, 'Invalid act for out-of-session');
      throw error;
    }
  }

  private checkEndpoint(endpoint: unknown): void {
    if (typeof endpoint !== 'string' || !endpoint.startsWith('https://')) {
      this.logger.error({ event: 'invalid_agent_endpoint' }, 'Agent endpoint must use HTTPS');
      throw new DualAuthError('Agent endpoint must use HTTPS for security', 'ERR_INSECURE_URL');
    }
  }

  private warnUnusualTtl(ttl: number): void {
    if (ttl < 10 || ttl > 300) this.logger.warn({ event: 'unusual_ttl', ttl_seconds: ttl }, 'TTL outside recommended range (10-300 seconds)');
  }

  private missingEmail(): never {
    this.logger.error({ event: 'session_missing_email' }, 'Session missing email field');
    throw new DualAuthError('Session must contain email', 'ERR_INVALID_ARGUMENT');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function first(source: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const key of keys) if (source[key]) return source[key];
  return undefined;
}
