/**
 * Starts the suite's Redis servers and stops them at teardown: a standalone
 * server with a password, a TLS server with an ACL user, a three-node Redis
 * Cluster, and a Valkey server with a password (scripts/redis/valkey.ts). A missing redis-server FAILS the suite (it is never skipped).
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { writeCertificateFiles } from '../../scripts/secrets/tls.js';
import { removeRunDir, requireRedisServer, runDir, startRedisCluster, startRedisServer, stopStaleRedisRuns, type RedisCluster, type RedisServer } from '../../scripts/redis/servers.js';
import { ensureValkeyServer, VALKEY_PACKAGE } from '../../scripts/redis/valkey.js';
import { ACL_USER_RULES } from './acl.js';
import type { RedisServers } from './servers.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  stopStaleRedisRuns();
  const version = await requireRedisServer();
  const valkeyBinary = ensureValkeyServer();
  const password = randomBytes(18).toString('base64url');
  const aclUser = 'dual-auth-app';
  const aclPassword = randomBytes(18).toString('base64url');
  const certs = await createDevCertificates();
  const files = writeCertificateFiles(certs, runDir());
  const started: Array<RedisServer | RedisCluster> = [];
  const stopAll = async () => {
    await Promise.all(started.map((server) => server.stop()));
    removeRunDir();
  };
  try {
    const startedAt = Date.now();
    const starting = [
      startRedisServer({ name: 'standalone', password }),
      startRedisServer({ name: 'tls', password, tls: files, users: [`${aclUser} on >${aclPassword} ${ACL_USER_RULES}`] }),
      startRedisCluster('cluster', password),
      startRedisServer({ name: 'valkey', password, binary: valkeyBinary }),
    ] as const;
    // Wait for all, so that a failure leaves no server behind.
    const settled = await Promise.allSettled(starting);
    for (const result of settled) if (result.status === 'fulfilled') started.push(result.value);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [standalone, tls, cluster, valkey] = (await Promise.all(starting)) as [RedisServer, RedisServer, RedisCluster, RedisServer];
    const servers: RedisServers = {
      version,
      password,
      standalone: standalone.url,
      tls: { url: tls.url, aclUrl: `rediss://${aclUser}:${aclPassword}@127.0.0.1:${tls.port}`, aclUser, aclPassword, caCert: certs.caCert },
      cluster: cluster.urls,
      valkey: valkey.url,
    };
    project.provide('redisServers', servers);
    console.log(`[redis] ${version}; standalone, TLS + ACL user, 3-node cluster, Valkey (${VALKEY_PACKAGE}) up in ${Date.now() - startedAt} ms`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
