/**
 * HybridSender: turns the web app's logged-in human into an `act` claim, and for
 * out-of-session agents signs it as a short-lived RS256 JWT for one agent endpoint.
 */
import type { KeyObject } from 'node:crypto';
import { signCompact } from '../jwt/compact.js';
import { loadRsaPrivateKey } from '../jwt/keys.js';
import { DualAuthError } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import { POSITIVE_INTEGER, numberOption } from '../options.js';
import { humanIdForLogging, type Act } from '../domain/act.js';
import { newJti, nowSeconds } from '../domain/jti.js';
import { UserSession } from '../domain/user-session.js';

/** As the reference. */
const DEFAULT_TTL_SECONDS = 60;

export interface HybridSenderOptions {
  /** The application's private key: a path to a PEM file (as in Python) or the PEM text itself. Needed only out-of-session. */
  privateKeyPem?: string;
  /** The same as a KeyObject. */
  privateKey?: KeyObject;
  /** `kid` header on act JWTs, so verifiers can pick the key from a JWKS (key rotation). Default none, as the reference. */
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

/** A session dict or OIDC claims: the keys `extractActFromSession` understands. */
export type SessionLike = UserSession | Record<string, unknown>;

export class HybridSender {
  readonly #privateKey: KeyObject | undefined;
  private readonly kid: string | undefined;
  private readonly issuer: string;
  private readonly notBefore: boolean;
  private readonly logger: Logger;

  constructor(options: HybridSenderOptions | string = {}) {
    const settings: HybridSenderOptions = typeof options === 'string' ? { privateKeyPem: options } : options ?? {};
    this.logger = toLogger(settings.logger);
    this.kid = settings.kid;
    this.issuer = settings.issuer ?? 'application';
    this.notBefore = settings.notBefore ?? false;
    const source = settings.privateKey ?? settings.privateKeyPem;
    if (source) {
      try {
        this.#privateKey = loadRsaPrivateKey(source);
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
    if (!this.#privateKey) {
      this.logger.error({ event: 'missing_private_key' }, 'Out-of-session requires private key');
      throw new DualAuthError('HybridSender not configured for out-of-session - initialize with private_key_pem parameter', 'ERR_KEY_LOAD');
    }
    if (!isObject(act) || !('sub' in act)) {
      this.logger.error({ event: 'invalid_act', has_act: act != null }, 'Invalid act for out-of-session');
      throw new DualAuthError("Act must contain 'sub' field", 'ERR_INVALID_ACT');
    }
    if (typeof endpoint !== 'string' || !endpoint.startsWith('https://')) {
      this.logger.error({ event: 'invalid_agent_endpoint' }, 'Agent endpoint must use HTTPS');
      throw new DualAuthError('Agent endpoint must use HTTPS for security', 'ERR_INSECURE_URL');
    }
    if (ttl < 10 || ttl > 300) this.logger.warn({ event: 'unusual_ttl', ttl_seconds: ttl }, 'TTL outside recommended range (10-300 seconds)');

    const now = nowSeconds();
    const jti = newJti();
    // Claims in the Python order: the same bytes on the wire.
    const claims: Record<string, unknown> = { iss: this.issuer, sub: this.issuer, aud: endpoint, exp: now + ttl, iat: now, jti, act };
    if (this.notBefore) claims.nbf = now;
    const jwt = signCompact('RS256', { alg: 'RS256', typ: 'JWT', ...(this.kid ? { kid: this.kid } : {}) }, claims, this.#privateKey);
    this.logger.info(
      { event: 'act_prepared_out_of_session', human_id: humanIdForLogging(act.sub), agent_endpoint: endpoint, ttl_seconds: ttl, exp: now + ttl, jti },
      'Act prepared for out-of-session',
    );
    return jwt;
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
