/**
 * `npm run bench:python` (`-- --quick` for a short run): the same operations in
 * the Python reference (dual-auth 1.0.1, .cache/pyref-venv) and in this
 * package, on this machine, against the same local HTTPS token server (its own
 * process), as throughput ratios from one run. Python and Node rounds
 * alternate; the median of the rounds is reported.
 *
 * Targets (issue 6): token requests and config loading >= 2x Python; RS256
 * signing within 5 % of bare node:crypto; verification >= 1.5x Python.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sign as rsaSign, verify as rsaVerify } from 'node:crypto';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { HybridSender, KeycloakAdapter, OutOfSessionTokenRequest, getConfig } from '../../src/index.js';
import { machine, median, rate, repoRoot, settingsFromArgs, table, type Rate } from '../lib.js';
import { ACT, AGENT_ENDPOINT, AGENT_ID, API_AUDIENCE, CLIENT_SECRET, SCOPE, createBenchFixtures, type BenchFixtures } from '../shared.js';

const venvPython = resolve(repoRoot, process.env.DUAL_AUTH_PYREF_VENV ?? '.cache/pyref-venv', 'bin/python');
const CONCURRENCY = 50;

interface PyRate {
  ops_per_sec: number;
  cpu_us_per_op: number;
  count: number;
}

function configEnvs(f: BenchFixtures): Record<string, Record<string, string>> {
  const common = { AGENT_CLIENT_ID: AGENT_ID, AGENT_CLIENT_SECRET: CLIENT_SECRET, DUAL_AUTH_SECRETS_BACKEND: 'env' };
  return {
    keycloak: { ...common, DUAL_AUTH_VENDOR: 'keycloak', KEYCLOAK_TOKEN_URL: 'https://kc.example.com/realms/dual-auth/protocol/openid-connect/token' },
    entraid: {
      ...common,
      DUAL_AUTH_VENDOR: 'entraid',
      ENTRAID_TOKEN_URL: 'https://login.example.com/tenant-1/oauth2/v2.0/token',
      API_SCOPE: 'api://finance-api/.default',
      APP_PRIVATE_KEY_PATH: f.appPrivatePath,
      APP_ID: 'app-7f3c9a1e',
      API_AUDIENCE,
    },
  };
}

async function runPythonRound(f: BenchFixtures, seconds: number): Promise<Record<string, PyRate>> {
  const job = {
    seconds,
    act: ACT,
    agent_endpoint: AGENT_ENDPOINT,
    private_key_path: f.appPrivatePath,
    public_key_path: f.appPublicPath,
    token_url: f.tokenUrl,
    agent_id: AGENT_ID,
    client_secret: CLIENT_SECRET,
    scope: SCOPE,
    concurrency: CONCURRENCY,
    config_envs: configEnvs(f),
  };
  const child = spawn(venvPython, [resolve(repoRoot, 'bench/python/bench.py')], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, REQUESTS_CA_BUNDLE: f.caFile },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.end(JSON.stringify(job));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', done);
  });
  if (code !== 0) throw new Error(`Python bench failed (${code}): ${Buffer.concat(err).toString('utf8').slice(-3000)}`);
  return JSON.parse(Buffer.concat(out).toString('utf8')) as Record<string, PyRate>;
}

/** Our side of every operation, as named in bench.py. */
async function nodeOperations(f: BenchFixtures): Promise<Record<string, { op: () => unknown; concurrency?: number; setup?: () => void }>> {
  const sender = new HybridSender({ privateKeyPem: f.appPrivatePath });
  const adapter = new KeycloakAdapter({ vendor: 'keycloak', tokenUrl: f.tokenUrl, clientId: AGENT_ID, clientSecret: CLIENT_SECRET }, { ca: f.caCert });
  const newReceiver = () => new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: f.appPublicPath });
  const receiver = newReceiver();
  const pool: string[] = [];
  for (let i = 0; i < 3000; i++) pool.push(await sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 300 }));
  let cursor = 0;
  let verifyReceiver = newReceiver();
  const signingInput = Buffer.alloc(330, 'x');
  const [h, p, s] = pool[0]!.split('.') as [string, string, string];
  const envs = configEnvs(f);
  // As bench.py: the environment is set once, then getConfig() reads it.
  const withEnv = (env: Record<string, string>) => ({ setup: () => Object.assign(process.env, env), op: () => getConfig() });
  return {
    act_sign_verify: {
      op: async () => {
        const actJwt = await sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 60 });
        await receiver.receiveAndVerifyActJwt({ actJwt, expectedAudience: AGENT_ENDPOINT });
      },
    },
    act_sign: { op: () => sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 60 }) },
    bare_rsa_sign: { op: () => rsaSign('sha256', signingInput, f.appPrivate) },
    act_verify: {
      op: () => {
        if (cursor === pool.length) {
          verifyReceiver = newReceiver();
          cursor = 0;
        }
        return verifyReceiver.receiveAndVerifyActJwt({ actJwt: pool[cursor++]!, expectedAudience: AGENT_ENDPOINT });
      },
    },
    bare_node_verify: {
      // The signature check and claims parse only, no checks: the floor under any JWT library.
      op: () => {
        if (!rsaVerify('sha256', Buffer.from(`${h}.${p}`), f.appPublic, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
        return JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      },
    },
    token_seq: { op: () => adapter.requestToken({ agentId: AGENT_ID, act: ACT, scope: SCOPE }) },
    token_conc: { op: () => adapter.requestToken({ agentId: AGENT_ID, act: ACT, scope: SCOPE }), concurrency: CONCURRENCY },
    config_keycloak: withEnv(envs.keycloak!),
    config_entraid: withEnv(envs.entraid!),
  };
}

interface Row {
  name: string;
  python: Rate[];
  node: Rate[];
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  if (!existsSync(venvPython)) {
    throw new Error(`Python reference not installed at ${venvPython}. Run: bash scripts/interop/setup-python.sh`);
  }
  const seconds = settings.quick ? 0.5 : 2;
  const rounds = settings.quick ? 1 : 3;
  console.log(`dual-auth vs the Python reference${settings.quick ? ' (--quick)' : ''}: ${machine()}`);
  const pyVersion = await new Promise<string>((done) => {
    const c = spawn(venvPython, ['-c', 'import sys, jwt, requests, cryptography; print(sys.version.split()[0], "PyJWT", jwt.__version__, "requests", requests.__version__, "cryptography", cryptography.__version__)']);
    let t = '';
    c.stdout.on('data', (d: Buffer) => (t += d));
    c.on('close', () => done(t.trim()));
  });
  console.log(`Python ${pyVersion}, dual-auth 1.0.1; ${rounds} round(s) of ${seconds} s per operation and side, alternated; medians\n`);

  const f = await createBenchFixtures();
  const savedEnv = { ...process.env };
  const rows = new Map<string, Row>();
  try {
    const ops = await nodeOperations(f);
    for (const name of Object.keys(ops)) rows.set(name, { name, python: [], node: [] });
    for (let round = 0; round < rounds; round++) {
      const py = await runPythonRound(f, seconds);
      for (const [name, r] of Object.entries(py)) {
        const row = rows.get(name) ?? rows.set(name, { name, python: [], node: [] }).get(name)!;
        row.python.push({ opsPerSec: r.ops_per_sec, cpuUsPerOp: r.cpu_us_per_op });
      }
      for (const [name, { op, concurrency, setup }] of Object.entries(ops)) {
        setup?.();
        await rate(op, { ms: Math.min(500, seconds * 500), concurrency }); // warm-up (JIT, keep-alive connections)
        rows.get(name)!.node.push(await rate(op, { ms: seconds * 1000, concurrency }));
      }
    }
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    await f.cleanup();
  }

  const med = (xs: Rate[], k: keyof Rate) => (xs.length ? median(xs.map((x) => x[k])) : NaN);
  const labels: Record<string, string> = {
    act_sign_verify: 'act JWT sign + verify (package)',
    act_sign: 'act JWT sign (package)',
    bare_rsa_sign: 'bare RSA-2048 sign (cryptography / node:crypto)',
    act_verify: 'act JWT verify (package)',
    bare_pyjwt_verify: 'bare PyJWT decode (Python only)',
    bare_node_verify: 'bare node:crypto verify (Node only)',
    token_seq: 'token request, 1 caller',
    token_conc: `token request, ${CONCURRENCY} callers (Python: threads)`,
    config_keycloak: 'getConfig, keycloak',
    config_entraid: 'getConfig, entraid (key file checked)',
  };
  const all = [...rows.values()];
  console.log(
    table(
      ['operation', 'Python ops/s', 'dual-auth ops/s', 'x Python', 'Python CPU µs/op', 'dual-auth CPU µs/op'],
      all.map((r) => {
        const py = med(r.python, 'opsPerSec');
        const node = med(r.node, 'opsPerSec');
        return [labels[r.name] ?? r.name, Number.isNaN(py) ? '-' : py, Number.isNaN(node) ? '-' : node, Number.isNaN(py) || Number.isNaN(node) ? '-' : `${(node / py).toFixed(2)}x`, Number.isNaN(py) ? '-' : med(r.python, 'cpuUsPerOp'), Number.isNaN(node) ? '-' : med(r.node, 'cpuUsPerOp')];
      }),
    ),
  );

  const ops = (name: string, side: 'python' | 'node') => med(rows.get(name)?.[side] ?? [], 'opsPerSec');
  const cpu = (name: string, side: 'python' | 'node') => med(rows.get(name)?.[side] ?? [], 'cpuUsPerOp');
  // [target, wall-clock ratio, CPU-time ratio, wanted]
  const targets: Array<[string, number, number, number]> = [
    ['token requests, 1 caller: x Python', ops('token_seq', 'node') / ops('token_seq', 'python'), cpu('token_seq', 'python') / cpu('token_seq', 'node'), 2],
    [`token requests, ${CONCURRENCY} callers: x Python`, ops('token_conc', 'node') / ops('token_conc', 'python'), cpu('token_conc', 'python') / cpu('token_conc', 'node'), 2],
    ['config loading (keycloak): x Python', ops('config_keycloak', 'node') / ops('config_keycloak', 'python'), cpu('config_keycloak', 'python') / cpu('config_keycloak', 'node'), 2],
    ['config loading (entraid): x Python', ops('config_entraid', 'node') / ops('config_entraid', 'python'), cpu('config_entraid', 'python') / cpu('config_entraid', 'node'), 2],
    ['RS256 act JWT signing vs bare node:crypto', ops('act_sign', 'node') / ops('bare_rsa_sign', 'node'), cpu('bare_rsa_sign', 'node') / cpu('act_sign', 'node'), 0.95],
    ['act JWT verification: x Python', ops('act_verify', 'node') / ops('act_verify', 'python'), cpu('act_verify', 'python') / cpu('act_verify', 'node'), 1.5],
    ['act JWT sign + verify: x Python (no target)', ops('act_sign_verify', 'node') / ops('act_sign_verify', 'python'), cpu('act_sign_verify', 'python') / cpu('act_sign_verify', 'node'), 0],
  ];
  console.log('');
  console.log(
    table(
      ['target', 'wall-clock ratio', 'CPU-time ratio', 'wanted', 'result'],
      targets.map(([n, wall, cpuRatio, want]) => [
        n,
        wall.toFixed(2),
        cpuRatio.toFixed(2),
        want === 0 ? '-' : `>= ${want}`,
        want === 0 ? '-' : wall >= want ? 'met' : cpuRatio >= want ? 'met on CPU time only' : 'MISSED',
      ]),
    ),
  );
  console.log('\nwall-clock ratio: ops/s; CPU-time ratio: CPU time per operation of the client process (all threads), which outside load does not skew.');
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes on the machine lower both sides' wall-clock figures)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
