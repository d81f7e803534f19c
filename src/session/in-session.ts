import type { BaseAdapter, TokenRequestParams } from '../adapters/base.js';
import type { TokenResponse } from '../domain/token-response.js';
import { DualAuthError } from '../errors.js';
import { toLogger, type Logger, type LoggerLike } from '../logging.js';
import type { Act } from '../domain/act.js';
import { resolveTokenStore, type TokenCacheOption } from './token-cache.js';
import type { TokenStore } from './token-store.js';
import { requestDualSubjectToken, toParams } from './token-request.js';

export interface TokenRequestHandlerOptions {
  logger?: LoggerLike;
  /**
   * Reuse tokens until shortly before they expire. `true` or TokenCacheOptions: an
   * in-memory TokenCache for this handler; a TokenStore instance (a TokenCache, or
   * RedisTokenCache from dual-auth/redis for replicas) may be shared between handlers.
   * Default is off, as the reference (a new token for every call).
   */
  cache?: TokenCacheOption;
}

/** In-session: the agent runs inside the web app; the act comes from the session in memory. */
export class InSessionTokenRequest {
  readonly adapter: BaseAdapter;
  private readonly logger: Logger;
  private readonly cache: TokenStore | undefined;

  constructor(adapter: BaseAdapter, options: TokenRequestHandlerOptions = {}) {
    if (!adapter || typeof (adapter as { requestToken?: unknown }).requestToken !== 'function') {
      throw new DualAuthError('InSessionTokenRequest needs an adapter', 'ERR_INVALID_ARGUMENT');
    }
    this.adapter = adapter;
    this.logger = toLogger(options.logger);
    this.cache = resolveTokenStore(options.cache);
    this.logger.info({ event: 'insession_handler_init', adapter_type: adapter.constructor.name }, 'In-session handler initialized');
  }

  async requestToken(params: TokenRequestParams): Promise<TokenResponse>;
  async requestToken(agentId: string, act: Act, scope: readonly string[] | string): Promise<TokenResponse>;
  async requestToken(first: TokenRequestParams | string, act?: Act, scope?: readonly string[] | string): Promise<TokenResponse> {
    return requestDualSubjectToken(this.adapter, toParams(first, act, scope), 'insession', this.logger, this.cache);
  }
}
