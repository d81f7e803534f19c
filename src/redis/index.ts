/**
 * `dual-auth/redis`: one memory for many replicas. RedisReplayCache shares the
 * act JWT / act assertion replay check; RedisTokenCache shares tokens
 * (encrypted) with one IAM request per key across replicas. Needs the `redis`
 * package (node-redis), an optional peer: `npm install redis`.
 * See docs/scaling.md.
 * @module
 */
export { RedisReplayCache, DEFAULT_REPLAY_KEY_PREFIX, type RedisReplayCacheOptions } from './replay-cache.js';
export { RedisTokenCache, DEFAULT_TOKEN_KEY_PREFIX, type RedisTokenCacheOptions } from './token-cache.js';
export { DEFAULT_COMMAND_TIMEOUT_MS, type RedisCommandClient, type RedisConnectionOptions } from './connection.js';
export type { EncryptionKeyInput } from './encryption.js';
