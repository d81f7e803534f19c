/**
 * Starts Toxiproxy and every server the fault tests put it in front of, and stops
 * what it started at teardown. A server that cannot start FAILS the suite with the
 * reason (never a skip):
 * - Toxiproxy (built by `go install`, see scripts/faults/toxiproxy.ts), API on a free port;
 * - the local IAM and the demo API, in a process of their own (scripts/faults/servers.ts);
 * - Redis (Debian's redis-server), moto and OpenBao (as the Redis and secrets suites do);
 * - the project's Keycloak through ensureKeycloak: a running healthy one is reused and left
 *   running (another suite or engineer may use it); one started here is stopped here.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { startFaultServers, type FaultServersProcess } from '../../scripts/faults/servers.js';
import { startToxiproxy, Toxiproxy, type ToxiproxyServer } from '../../scripts/faults/toxiproxy.js';
import { ensureKeycloak, stopKeycloak } from '../../scripts/keycloak/provision.js';
import { removeRunDir, requireRedisServer, startRedisServer, stopStaleRedisRuns, type RedisServer } from '../../scripts/redis/servers.js';
import { ensurePythonTools } from '../../scripts/secrets/install.js';
import { stopRecordedServers, stopStaleRuns, timed } from '../../scripts/secrets/lib.js';
import { startMoto } from '../../scripts/secrets/moto.js';
import { startOpenBao } from '../../scripts/secrets/openbao.js';
import { writeCertificateFiles } from '../../scripts/secrets/tls.js';
import type { FaultSetup } from './servers.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const timings: Record<string, number> = {};
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => console.error(`[faults] teardown: ${String(error)}`));
  };
  try {
    await stopStaleRuns();
    stopStaleRedisRuns();
    const toxiproxy: ToxiproxyServer = await timed('toxiproxy', timings, startToxiproxy);
    stops.push(() => toxiproxy.stop());
    console.log(`[faults] toxiproxy ${await new Toxiproxy(toxiproxy.api).version()} on ${toxiproxy.api}`);

    const local: FaultServersProcess = await timed('local IAM + demo API', timings, startFaultServers);
    stops.push(() => local.stop());

    await requireRedisServer();
    const redis: RedisServer = await timed('redis', timings, () => startRedisServer({ name: 'faults', password: randomBytes(18).toString('base64url') }));
    stops.push(async () => {
      await redis.stop();
      removeRunDir();
    });

    const certs = await createDevCertificates();
    const files = writeCertificateFiles(certs);
    stops.push(() => stopRecordedServers());
    await timed('python tools', timings, async () => ensurePythonTools());
    const [moto, bao] = await Promise.all([timed('moto', timings, () => startMoto(files, certs.caCert)), timed('openbao', timings, () => startOpenBao(files, certs.caCert))]);

    const log = (line: string) => console.log(`[faults] keycloak: ${line}`);
    const keycloak = await timed('keycloak', timings, () => ensureKeycloak(log));
    if (keycloak.started) stops.push(async () => void (await stopKeycloak(log)));

    const kc = keycloak.env;
    const setup: FaultSetup = {
      toxiproxy: toxiproxy.api,
      local: local.servers,
      redis: redis.url,
      aws: { endpoint: moto.endpoint, region: moto.region, admin: moto.admin },
      vault: { addr: bao.addr, rootToken: bao.rootToken },
      secretsCa: certs.caCert,
      keycloak: {
        tokenUrl: kc.KEYCLOAK_TOKEN_URL,
        issuer: kc.KEYCLOAK_ISSUER,
        jwksUri: kc.KEYCLOAK_JWKS_URL,
        audience: kc.KEYCLOAK_API_AUDIENCE,
        clientId: kc.AGENT_CLIENT_ID,
        clientSecret: kc.AGENT_CLIENT_SECRET,
        userId: kc.TEST_USER_ID,
        caCert: readFileSync(kc.NODE_EXTRA_CA_CERTS, 'utf8'),
      },
    };
    project.provide('faults', setup);
    console.log(`[faults] servers up (ms): ${JSON.stringify(timings)}`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
