export { HttpClient, createFetch, parseRetryAfter, requireHttpsUrl, urlForLogging } from './client.js';
export { RETRY_POLICIES, mayRetry, type RetryPolicy, type RetryPolicyName } from './retry-policy.js';
export type { HttpClientOptions, HttpRequest, HttpResponse } from './client.js';
export { HttpError, type HttpFailureKind } from './errors.js';
export type { CaOption } from './tls.js';
export { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
