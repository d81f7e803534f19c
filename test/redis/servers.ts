/** What the global set-up hands to the tests (through vitest's provide/inject). */
export interface RedisServers {
  /** `redis-server --version`. */
  version: string;
  /** The default user's password on every server. */
  password: string;
  /** Standalone, plain redis:// on 127.0.0.1, password. */
  standalone: string;
  /** TLS only (rediss://), the default user's password; the same server with the ACL user: aclUrl. */
  tls: { url: string; aclUrl: string; aclUser: string; aclPassword: string; caCert: string };
  /** Seed URLs of the three-node Redis Cluster (password). */
  cluster: string[];
  /** Valkey standalone, plain redis:// on 127.0.0.1, password. */
  valkey: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisServers: RedisServers;
  }
}
