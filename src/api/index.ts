export { ApiCall, InSessionAPICall, OutOfSessionAPICall, type ApiCallOptions, type CallApiParams } from './api-call.js';
