/**
 * Toxiproxy between the library and the real servers it depends on besides the
 * local IAM: Keycloak (token endpoint, JWKS), Redis (the shared replay store),
 * moto (AWS Secrets Manager) and OpenBao (the Vault API). Each request ends within
 * its configured deadline plus DEADLINE_SLACK_MS, with a typed error and a stable
 * code; once the client is closed, the process's sockets and timers are back to baseline.
 */
import { Agent } from 'node:https';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeycloakAdapter, createDualSubjectVerifier } from '../../src/index.js';
import { RedisReplayCache } from '../../src/redis/index.js';
import { createAwsBackend } from '../../src/secrets/aws.js';
import { createVaultBackend } from '../../src/secrets/vault.js';
import { httpsRequest } from '../../scripts/secrets/tls.js';
import { auditLogger, markSensitive } from '../helpers/log-audit.js';
import { DEADLINE_SLACK_MS, expectBackToBaseline, proxyTo, resources, setup, timed, type FaultProxy, type Resources } from './helpers.js';

const TIMEOUT_MS = 1_000;
const BLACK_HOLE = { type: 'timeout', attributes: { timeout: 0 } } as const;
const RESET = { type: 'reset_peer', attributes: { timeout: 0 } } as const;

let proxy: FaultProxy;
let baseline: Resources;

beforeEach(() => {
  baseline = resources();
});
afterEach(async () => {
  await proxy?.delete();
});

describe('Keycloak through Toxiproxy', () => {
  const kc = () => setup().keycloak;
  function adapter(tokenUrl: string) {
    return new KeycloakAdapter(
      // The assertion's audience is the realm URL Keycloak knows itself by, not the proxy's.
      { tokenUrl, clientId: kc().clientId, clientSecret: kc().clientSecret, audience: kc().issuer },
      { ca: kc().caCert, timeoutMs: 3_000, deadlineMs: 6_000, retries: 1, backoffMs: 50, logger: auditLogger() },
    );
  }
  const request = (tokenUrl: string) => adapter(tokenUrl).requestToken({ agentId: kc().clientId, act: { sub: kc().userId }, scope: ['finance.read'] });

  beforeAll(() => markSensitive(kc().clientSecret));
  beforeEach(async () => {
    proxy = await proxyTo(kc().tokenUrl);
  });

  it('latency 300 ms: the token arrives', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 300 } });
    const outcome = await timed(() => request(proxy.via(kc().tokenUrl)));
    expect(outcome.error).toBeUndefined();
    markSensitive(outcome.value?.accessToken);
    expect(outcome.value?.accessToken).toMatch(/^ey/);
  });

  it('a black hole: ERR_TIMEOUT at timeoutMs, no socket left', async () => {
    await proxy.add(BLACK_HOLE);
    const outcome = await timed(() => request(proxy.via(kc().tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.ms).toBeLessThan(3_000 + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  it('reset_peer: ERR_NETWORK, no socket left', async () => {
    await proxy.add(RESET);
    const outcome = await timed(() => request(proxy.via(kc().tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_NETWORK');
    expect(outcome.error?.message).toBe('Network error connecting to Keycloak: ConnectionError');
    await expectBackToBaseline(baseline);
  });

  it('a drip (slicer: 1 byte every 20 ms): ERR_TIMEOUT at timeoutMs', async () => {
    await proxy.add({ type: 'slicer', attributes: { average_size: 1, size_variation: 0, delay: 20_000 } });
    const outcome = await timed(() => request(proxy.via(kc().tokenUrl)));
    expect(outcome.error?.code).toBe('ERR_TIMEOUT');
    expect(outcome.ms).toBeLessThan(3_000 + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });

  it("Keycloak's JWKS black-holed: the API side answers ERR_JWKS_UNAVAILABLE within jwksTimeoutMs", async () => {
    await proxy.add(BLACK_HOLE);
    const verify = createDualSubjectVerifier({ vendor: 'keycloak', issuer: kc().issuer, audience: kc().audience, jwksUri: proxy.via(kc().jwksUri), ca: kc().caCert, jwksTimeoutMs: TIMEOUT_MS });
    const outcome = await timed(() => verify('eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2ln'));
    expect(outcome.error?.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
    await expectBackToBaseline(baseline);
  });
});

describe('Redis (RedisReplayCache) through Toxiproxy: fails closed in time', () => {
  const COMMAND_TIMEOUT_MS = 500;
  let cache: RedisReplayCache;
  beforeEach(async () => {
    proxy = await proxyTo(setup().redis.replace(/^redis:\/\/[^@]*@/, ''));
    const url = new URL(setup().redis);
    url.port = String(proxy.port);
    markSensitive(decodeURIComponent(url.password));
    cache = new RedisReplayCache({ url: url.toString(), commandTimeoutMs: COMMAND_TIMEOUT_MS, keyPrefix: 'faults:replay:', logger: auditLogger() });
  });
  afterEach(async () => {
    await cache.close();
    await expectBackToBaseline(baseline);
  });
  const jti = () => `jti-${Math.random().toString(36).slice(2)}`;
  const expiresAt = () => Math.floor(Date.now() / 1000) + 60;

  it('latency 100 ms: the jti is recorded, a second use refused', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 100 } });
    const id = jti();
    expect(await cache.checkAndStore(id, expiresAt())).toBe(true);
    expect(await cache.checkAndStore(id, expiresAt())).toBe(false);
  });

  for (const [name, toxic] of [
    ['a black hole', BLACK_HOLE],
    ['reset_peer', RESET],
    ['latency 2 s (over the command timeout)', { type: 'latency', attributes: { latency: 2_000 } }],
  ] as const) {
    it(`${name}: ERR_REPLAY_STORE_UNAVAILABLE within commandTimeoutMs (the JWT is refused, never accepted unchecked)`, async () => {
      await proxy.add(toxic);
      const outcome = await timed(() => cache.checkAndStore(jti(), expiresAt()));
      expect(outcome.error?.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
      expect(outcome.ms).toBeLessThan(COMMAND_TIMEOUT_MS + DEADLINE_SLACK_MS);
    });
  }

  it('a black hole on a connection already open: ERR_REPLAY_STORE_UNAVAILABLE in time, and recovery once it clears', async () => {
    expect(await cache.checkAndStore(jti(), expiresAt())).toBe(true);
    await proxy.add(BLACK_HOLE);
    const outcome = await timed(() => cache.checkAndStore(jti(), expiresAt()));
    expect(outcome.error?.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(outcome.ms).toBeLessThan(COMMAND_TIMEOUT_MS + DEADLINE_SLACK_MS);
    await proxy.remove('timeout_downstream');
    // After the cool-off (one command timeout), a fresh connection answers.
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      recovered = await cache.checkAndStore(jti(), expiresAt()).then(() => true, () => false);
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBe(true);
  });

  it('Redis down: ERR_REPLAY_STORE_UNAVAILABLE at once', async () => {
    await proxy.setEnabled(false);
    const outcome = await timed(() => cache.checkAndStore(jti(), expiresAt()));
    expect(outcome.error?.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(outcome.ms).toBeLessThan(COMMAND_TIMEOUT_MS + DEADLINE_SLACK_MS);
  });
});

describe('moto (AWS Secrets Manager) through Toxiproxy', () => {
  beforeAll(async () => {
    const { aws, secretsCa } = setup();
    const admin = new SecretsManagerClient({ region: aws.region, endpoint: aws.endpoint, credentials: aws.admin, requestHandler: { httpsAgent: new Agent({ ca: secretsCa }) } });
    await admin.send(new CreateSecretCommand({ Name: 'dual-auth/FAULTS_VALUE', SecretString: 'faults-value' })).catch((error) => {
      if ((error as Error).name !== 'ResourceExistsException') throw error;
    });
    admin.destroy();
  });
  beforeEach(async () => {
    proxy = await proxyTo(setup().aws.endpoint);
  });
  const backend = () =>
    createAwsBackend(
      { AWS_ENDPOINT_URL: proxy.origin, AWS_ACCESS_KEY_ID: setup().aws.admin.accessKeyId, AWS_SECRET_ACCESS_KEY: setup().aws.admin.secretAccessKey, DUAL_AUTH_AWS_REGION: setup().aws.region },
      { timeoutMs: TIMEOUT_MS, ca: setup().secretsCa },
    );

  it('latency 300 ms: the secret is read', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 300 } });
    const aws = await backend();
    expect(await aws.getSecret('FAULTS_VALUE')).toBe('faults-value');
    await aws.close?.();
    await proxy.delete();
    await expectBackToBaseline(baseline);
  });

  for (const [name, toxic, code] of [
    ['a black hole', BLACK_HOLE, 'ERR_TIMEOUT'],
    // The SDK sends the read again after a reset (maxAttempts 3) until the call's deadline ends it.
    ['reset_peer', RESET, 'ERR_TIMEOUT'],
    ['a drip (slicer: 1 byte every 20 ms)', { type: 'slicer', attributes: { average_size: 1, size_variation: 0, delay: 20_000 } }, 'ERR_TIMEOUT'],
  ] as const) {
    it(`${name}: a SecretsBackendError ${code} within timeoutMs, nothing left once closed`, async () => {
      await proxy.add(toxic);
      const aws = await backend();
      const outcome = await timed(() => aws.getSecret('FAULTS_VALUE'));
      expect(outcome.error?.name).toBe('SecretsBackendError');
      expect(outcome.error?.code).toBe(code);
      expect(outcome.ms).toBeLessThan(TIMEOUT_MS + DEADLINE_SLACK_MS);
      await aws.close?.();
      await expectBackToBaseline(baseline);
    });
  }
});

describe('OpenBao (Vault API) through Toxiproxy', () => {
  beforeAll(async () => {
    const { vault, secretsCa } = setup();
    const res = await httpsRequest(`${vault.addr}/v1/secret/data/dual-auth/faults-value`, {
      method: 'POST',
      ca: secretsCa,
      headers: { 'x-vault-token': vault.rootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { value: 'faults-value' } }),
    });
    if (res.status >= 300) throw new Error(`OpenBao write: HTTP ${res.status}`);
    markSensitive(vault.rootToken);
  });
  beforeEach(async () => {
    proxy = await proxyTo(setup().vault.addr);
  });
  const backend = () => createVaultBackend({ VAULT_ADDR: proxy.origin, VAULT_TOKEN: setup().vault.rootToken }, { timeoutMs: TIMEOUT_MS, ca: setup().secretsCa });

  it('latency 300 ms: the secret is read', async () => {
    await proxy.add({ type: 'latency', attributes: { latency: 300 } });
    const vault = await backend();
    expect(await vault.getSecret('FAULTS_VALUE')).toBe('faults-value');
    await proxy.delete();
    await expectBackToBaseline(baseline);
  });

  for (const [name, toxic, code] of [
    ['a black hole', BLACK_HOLE, 'ERR_TIMEOUT'],
    ['reset_peer', RESET, 'ERR_NETWORK'],
    ['limit_data 100 bytes (the handshake cut)', { type: 'limit_data', attributes: { bytes: 100 } }, 'ERR_NETWORK'],
  ] as const) {
    it(`${name}: a SecretsBackendError ${code} in time, no socket left`, async () => {
      const vault = await backend();
      // Its start-up requests left idle keep-alive connections in the pool: they are part of the baseline.
      baseline = resources();
      await proxy.add(toxic);
      const outcome = await timed(() => vault.getSecret('FAULTS_VALUE'));
      expect(outcome.error?.name).toBe('SecretsBackendError');
      expect(outcome.error?.code).toBe(code);
      // A read is a GET: after a reset it is sent once more (3 attempts at most), each within timeoutMs.
      expect(outcome.ms).toBeLessThan(3 * TIMEOUT_MS + DEADLINE_SLACK_MS);
      await expectBackToBaseline(baseline);
    });
  }
});
