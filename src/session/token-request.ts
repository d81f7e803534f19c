/** What InSessionTokenRequest and OutOfSessionTokenRequest share: the input checks and the adapter call. */
import type { BaseAdapter, TokenRequestParams } from '../adapters/base.js';
import { checkDelegationInput, type Delegation, type DelegationInput } from '../adapters/delegation.js';
import { TokenResponse } from '../domain/token-response.js';
import { DualAuthError, TokenRequestError, errorClassName } from '../errors.js';
import { silentLogger, type Logger } from '../logging.js';
import { hasSub, humanIdForLogging, type Act } from '../domain/act.js';
import { untilAborted } from '../http/abort.js';
import { tokenCacheKey, type TokenStore } from './token-store.js';

export type Scenario = 'insession' | 'outofsession';

/** Accepts `{ agentId, act, scope }` or the Python positional form. */
export function toParams(first: TokenRequestParams | string, act?: Act, scope?: readonly string[] | string, signal?: AbortSignal): TokenRequestParams {
  return typeof first === 'string' ? { agentId: first, act: act as Act, scope: scope ?? [], signal } : first;
}

export async function requestDualSubjectToken(
  adapter: BaseAdapter,
  params: TokenRequestParams,
  scenario: Scenario,
  logger: Logger,
  cache?: TokenStore,
): Promise<TokenResponse> {
  if (params === null || typeof params !== 'object') throw new DualAuthError('requestToken needs { agentId, act, scope }', 'ERR_INVALID_ARGUMENT');
  const { agentId, act, scope } = params;
  // A duck-typed adapter without the option is a reference ('act') adapter.
  const delegation: Delegation = adapter.delegation ?? 'act';
  if (!agentId) {
    logger.error({ event: 'invalid_input_agent_id' }, 'Missing agent_id');
    throw new DualAuthError('Invalid inputs: agent_id required', 'ERR_INVALID_ARGUMENT');
  }
  // 'act': the act is the person. Otherwise the person comes from the subject token or the
  // application's assertion, and an act, when given, must still be well-formed (it is logged).
  if ((delegation === 'act' || act !== undefined) && !hasSub(act)) {
    logger.error({ event: 'invalid_input_act', has_act: act != null }, 'Missing or invalid act claim');
    throw new DualAuthError("Invalid inputs: act with 'sub' field required", 'ERR_INVALID_ACT');
  }
  let input: DelegationInput;
  try {
    // The adapter's own check, run here too: a cache hit never reaches the adapter.
    input = checkDelegationInput(delegation, params);
  } catch (error) {
    logger.error({ event: delegation === 'assertion' ? 'invalid_input_act_assertion' : 'invalid_input_subject_token' }, 'Missing or invalid delegation input');
    throw error;
  }
  if (!scope || scope.length === 0) {
    logger.error({ event: 'invalid_input_scope' }, 'Missing scope');
    throw new DualAuthError('Invalid inputs: scope required', 'ERR_INVALID_ARGUMENT');
  }
  const logging = logger !== silentLogger; // log objects are built only for a real logger
  if (logging) {
    logger.info(
      {
        event: `${scenario}_token_request_start`,
        agent_id: agentId,
        ...(delegation === 'act' ? {} : { delegation }),
        human_id: humanIdForLogging(act?.sub),
        scope,
      },
      `${label(scenario)} token request starting`,
    );
  }
  try {
    const token = cache ? await cachedToken(cache, adapter, params, input) : await adapter.requestToken(params);
    if (logging) {
      logger.info(
        {
          event: `${scenario}_token_request_success`,
          agent_id: agentId,
          expires_in: token.expiresIn,
          token_type: token.tokenType,
          has_act_assertion: token.actAssertion !== undefined,
        },
        'Token request successful',
      );
    }
    return token;
  } catch (error) {
    if (error instanceof TokenRequestError) throw error;
    logger.error({ event: `${scenario}_token_request_error`, error_type: errorClassName(error), agent_id: agentId }, 'Unexpected error in token request');
    // As the reference: anything else becomes a TokenRequestError naming only the error class.
    throw new TokenRequestError(`Unexpected error: ${pythonClassName(error)}`, undefined, { cause: error });
  }
}

/**
 * A token from the cache. With delegation 'assertion' the token is the agent's own, the same for every
 * person: it is kept without the assertion (tokenCacheKey leaves the assertion out), and each request
 * gets it back with its own assertion, so one IAM token serves every person the application hands over.
 */
async function cachedToken(cache: TokenStore, adapter: BaseAdapter, params: TokenRequestParams, input: DelegationInput): Promise<TokenResponse> {
  const signal = params.signal;
  const aborted = (): unknown => (typeof adapter.abortedError === 'function' ? adapter.abortedError(signal?.reason) : signal?.reason);
  if (signal?.aborted) throw aborted();
  // Concurrent callers share one request: it must not carry one caller's signal, or that caller's
  // abort fails them all. It runs to its own deadline (the adapter's deadlineMs, and the result is
  // cached); each caller stops waiting when its own signal aborts. Built only on a miss.
  const request = async (): Promise<TokenResponse> => {
    const token = await adapter.requestToken({ ...params, signal: undefined });
    return input.delegation === 'assertion' ? withActAssertion(token, undefined) : token;
  };
  const pending = cache.getOrRequest(tokenCacheKey(adapter, params), request);
  const token = await (signal ? untilAborted(pending, signal, aborted) : pending);
  return input.delegation === 'assertion' ? withActAssertion(token, input.actAssertion) : token;
}

function withActAssertion(token: TokenResponse, actAssertion: string | undefined): TokenResponse {
  return new TokenResponse({ accessToken: token.accessToken, tokenType: token.tokenType, expiresIn: token.expiresIn, scope: token.scope, actAssertion });
}

/** DualAuthErrors raised for bad arguments are Python ValueErrors. */
function pythonClassName(error: unknown): string {
  if (error instanceof DualAuthError) return 'ValueError';
  return errorClassName(error);
}

function label(scenario: Scenario): string {
  return scenario === 'insession' ? 'In-session' : 'Out-of-session';
}
