export { UserSession, type UserSessionInit } from '../domain/user-session.js';
export { HybridSender, type ActAssertionParams, type HybridSenderOptions, type OutOfSessionActParams, type SessionLike } from './hybrid-sender.js';
export type { AppSigningAlgorithm } from '../jwt/keys.js';
export { InSessionTokenRequest, type TokenRequestHandlerOptions } from './in-session.js';
export { TokenCache, type TokenCacheOptions, type TokenCacheOption } from './token-cache.js';
export { tokenCacheKey, type TokenStore } from './token-store.js';
export { OutOfSessionTokenRequest, type OutOfSessionTokenRequestOptions, type VerifyActJwtParams } from './out-of-session.js';
export { MemoryReplayCache, type ReplayCache, type MemoryReplayCacheOptions } from '../domain/replay-cache.js';
export type { Act } from '../domain/act.js';
