export { HttpClient, createFetch, parseRetryAfter, requireHttpsUrl, urlForLogging, RETRYABLE_STATUSES } from './client.js';
export type { HttpClientOptions, HttpRequest, HttpResponse } from './client.js';
export { HttpError, type HttpFailureKind } from './errors.js';
export type { CaOption } from './tls.js';
