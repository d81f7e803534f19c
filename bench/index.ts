/**
 * `npm run bench` (`-- --quick` for CI): the package against the raw baseline,
 * in one process, rounds alternated (ABBA) after a warm-up:
 *
 *  1. act JWT sign + verify: HybridSender.prepareOutOfSessionAct +
 *     OutOfSessionTokenRequest.receiveAndVerifyActJwt vs jose SignJWT + jwtVerify;
 *  2. token request round trips: KeycloakAdapter.requestToken vs a bare undici
 *     POST (same Agent settings: keep-alive, the CA) of a same-size form to the
 *     same local HTTPS server (its own process), 1 and 50 callers;
 *  3. access-token verification: createDualSubjectVerifier with a warm JWKS
 *     cache vs jose jwtVerify alone (the key already imported);
 *  4. tracing (docs/observability.md): the verification with one more telemetry hook and no
 *     tracer provider registered vs without it (the overhead of tracing off), and with an
 *     OpenTelemetry provider registered: the cost of one more span (made, not exported);
 *  5. importing the package entry loads no cloud SDK (fresh child process).
 *
 * Target: every ratio >= 0.85. Prints the figures; asserts nothing about time
 * (only the cloud-SDK check fails the run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { SignJWT, createLocalJWKSet, jwtVerify, importJWK, type JWK } from 'jose';
import { Agent, request } from 'undici';
import { HybridSender, KeycloakAdapter, OutOfSessionTokenRequest, createDualSubjectVerifier } from '../src/index.js';
import { encodeForm } from '../src/adapters/base.js';
import { SPANS, traced } from '../src/telemetry/index.js';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { compare, fmt, machine, repoRoot, settingsFromArgs, table, type Comparison } from './lib.js';
import { ACT, AGENT_ENDPOINT, AGENT_ID, API_AUDIENCE, CLIENT_SECRET, SCOPE, createBenchFixtures, type BenchFixtures } from './shared.js';

const TARGET = 0.85;
const CLOUD_SDK = /node_modules\/(@aws-sdk|@smithy|@google-cloud|google-gax|google-auth-library|@azure|node-vault|hvac)(\/|$)/;

async function actJwt(f: BenchFixtures, settings: ReturnType<typeof settingsFromArgs>): Promise<Comparison> {
  const sender = new HybridSender({ privateKeyPem: f.appPrivatePath });
  const adapter = new KeycloakAdapter({ vendor: 'keycloak', tokenUrl: f.tokenUrl, clientId: AGENT_ID, clientSecret: CLIENT_SECRET }, { ca: f.caCert });
  const receiver = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: f.appPublicPath });
  const viaPackage = async () => {
    const actJwt = await sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 10 });
    await receiver.receiveAndVerifyActJwt({ actJwt, expectedAudience: AGENT_ENDPOINT });
  };
  const viaJose = async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iss: 'application', sub: 'application', aud: AGENT_ENDPOINT, exp: now + 10, iat: now, jti: randomBytes(32).toString('base64url'), act: ACT })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(f.appPrivate);
    await jwtVerify(jwt, f.appPublic, { algorithms: ['RS256'], audience: AGENT_ENDPOINT });
  };
  return compare('act JWT sign + verify', viaJose, viaPackage, settings);
}

async function tokenRequests(f: BenchFixtures, settings: ReturnType<typeof settingsFromArgs>, concurrency: number): Promise<Comparison[]> {
  const adapter = new KeycloakAdapter({ vendor: 'keycloak', tokenUrl: f.tokenUrl, clientId: AGENT_ID, clientSecret: CLIENT_SECRET }, { ca: f.caCert });
  // The same Agent settings as src/http/client.ts: keep-alive 10 s, 128 connections, the CA.
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, connect: { ca: [f.caCert] } });
  // A form of the same size as the package's: the same fields, one assertion signed once.
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ iss: AGENT_ID, sub: AGENT_ID, aud: `${f.server.origin}/realms/dual-auth`, exp: now + 3600, iat: now, jti: randomBytes(32).toString('base64url'), act: ACT })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(CLIENT_SECRET));
  const body = encodeForm({
    grant_type: 'client_credentials',
    scope: SCOPE.join(' '),
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const bare = async () => {
    const res = await request(f.tokenUrl, { method: 'POST', headers, body, dispatcher: agent });
    const data = (await res.body.json()) as { access_token?: string };
    if (res.statusCode !== 200 || !data.access_token) throw new Error('bad answer');
  };
  // The same request built by hand: jose HS256 assertion per call, then the bare POST.
  const secret = new TextEncoder().encode(CLIENT_SECRET);
  const aud = `${f.server.origin}/realms/dual-auth`;
  const bareSigned = async () => {
    const t = Math.floor(Date.now() / 1000);
    const signed = await new SignJWT({ iss: AGENT_ID, sub: AGENT_ID, aud, exp: t + 300, iat: t, jti: randomBytes(32).toString('base64url'), act: ACT })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret);
    const form = encodeForm({ grant_type: 'client_credentials', scope: SCOPE.join(' '), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: signed });
    const res = await request(f.tokenUrl, { method: 'POST', headers, body: form, dispatcher: agent });
    const data = (await res.body.json()) as { access_token?: string };
    if (res.statusCode !== 200 || !data.access_token) throw new Error('bad answer');
  };
  const viaPackage = () => adapter.requestToken({ agentId: AGENT_ID, act: ACT, scope: SCOPE });
  const callers = `${concurrency} caller${concurrency > 1 ? 's' : ''}`;
  try {
    return [
      await compare(`requestToken, ${callers} (vs bare POST)`, bare, viaPackage, settings, concurrency),
      await compare(`requestToken, ${callers} (vs POST + jose HS256 assertion)`, bareSigned, viaPackage, settings, concurrency),
    ];
  } finally {
    await agent.close();
  }
}

interface ColdBurst {
  name: string;
  wallMs: number;
  cpuMs: number;
}

/**
 * 50 concurrent first calls on a fresh connection pool (a process that just
 * started, or a burst after keep-alive connections expired): every call opens
 * a TLS connection, so this measures connection set-up.
 */
async function coldBursts(f: BenchFixtures, callers = 50): Promise<ColdBurst[]> {
  const time = async (name: string, op: () => Promise<unknown>): Promise<ColdBurst> => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: callers }, op));
    const used = process.cpuUsage(cpu);
    return { name, wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  };
  const results: ColdBurst[] = [];
  for (let round = 0; round < 2; round++) {
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: 128, connect: { ca: [f.caCert] } });
    results.push(
      await time('bare undici POST, fresh Agent (CA only)', async () => {
        const res = await request(f.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials', dispatcher: agent });
        await res.body.json();
      }),
    );
    await agent.close();
    // A CA text no other adapter used yet gets a fresh pool (pools are shared per trust configuration).
    const adapter = new KeycloakAdapter(
      { vendor: 'keycloak', tokenUrl: f.tokenUrl, clientId: AGENT_ID, clientSecret: CLIENT_SECRET },
      { ca: `${f.caCert}${'\n'.repeat(round + 1)}` },
    );
    results.push(await time('requestToken, fresh adapter (ca option)', () => adapter.requestToken({ agentId: AGENT_ID, act: ACT, scope: SCOPE })));
  }
  return results;
}

async function verification(f: BenchFixtures, settings: ReturnType<typeof settingsFromArgs>): Promise<Comparison[]> {
  const verifier = createDualSubjectVerifier({
    vendor: 'keycloak',
    issuer: f.issuer,
    audience: API_AUDIENCE,
    jwksUri: `${f.server.origin}/jwks`,
    ca: f.caCert,
  });
  await verifier(f.accessToken); // warm the JWKS cache
  const key = await importJWK(f.jwks.keys[0] as JWK, 'RS256');
  const options = { algorithms: ['RS256'], issuer: f.issuer, audience: API_AUDIENCE, clockTolerance: 30 };
  const joseAlone = () => jwtVerify(f.accessToken, key, options);
  const localSet = createLocalJWKSet(f.jwks);
  const joseWithKeySet = () => jwtVerify(f.accessToken, localSet, options);
  const viaPackage = () => verifier(f.accessToken);
  return [
    await compare('verify access token (vs jwtVerify, key imported)', joseAlone, viaPackage, settings),
    await compare('verify access token (vs jwtVerify + local JWKS set)', joseWithKeySet, viaPackage, settings),
  ];
}

/**
 * Tracing off: the hook every instrumented operation goes through (`traced`), once more around a
 * verification, with no tracer provider registered: its whole cost is that of tracing off.
 * Tracing on: the same with a provider registered: the cost of one span (made, not exported).
 */
async function tracing(f: BenchFixtures, settings: ReturnType<typeof settingsFromArgs>): Promise<Comparison[]> {
  const verifier = createDualSubjectVerifier({ vendor: 'keycloak', issuer: f.issuer, audience: API_AUDIENCE, jwksUri: `${f.server.origin}/jwks`, ca: f.caCert });
  await verifier(f.accessToken);
  const attributes = { 'dual_auth.vendor': 'keycloak' };
  const plain = () => verifier(f.accessToken);
  const hooked = () => traced(SPANS.tokenVerify, attributes, () => verifier(f.accessToken));
  const off = await compare('verify access token, one more hook, tracing off (vs without it)', plain, hooked, settings);
  const provider = new BasicTracerProvider();
  trace.setGlobalTracerProvider(provider);
  try {
    const on = await compare('verify access token, one more hook, tracing on: one more span, not exported (vs without it)', plain, hooked, settings);
    return [off, on];
  } finally {
    trace.disable();
    await provider.shutdown();
  }
}

interface LoadCheck {
  entry: string;
  importMs: number;
  packages: string[];
  cloud: string[];
}

function loadCheck(): LoadCheck[] {
  const checks: Array<{ entry: string; args: string[] }> = [
    { entry: 'src/index.ts', args: ['--import', 'tsx', resolve(repoRoot, 'bench/load-check.mjs'), resolve(repoRoot, 'src/index.ts')] },
  ];
  if (existsSync(resolve(repoRoot, 'dist/index.js'))) {
    checks.push({ entry: 'dist/index.js', args: [resolve(repoRoot, 'bench/load-check.mjs'), resolve(repoRoot, 'dist/index.js')] });
  }
  const results: LoadCheck[] = checks.map(({ entry, args }) => {
    const out = JSON.parse(execFileSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' })) as { importMs: number; modules: string[] };
    return summarise(entry, out.importMs, out.modules);
  });
  if (existsSync(resolve(repoRoot, 'dist/index.cjs'))) {
    const script = `const t=performance.now();require(${JSON.stringify(resolve(repoRoot, 'dist/index.cjs'))});process.stdout.write(JSON.stringify({importMs:performance.now()-t,modules:Object.keys(require.cache)}))`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8' })) as { importMs: number; modules: string[] };
    results.push(summarise('dist/index.cjs (require)', out.importMs, out.modules));
  }
  return results;
}

function summarise(entry: string, importMs: number, modules: string[]): LoadCheck {
  const packages = new Set<string>();
  for (const m of modules) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m);
    if (match) packages.add(match[1]!);
  }
  return { entry, importMs, packages: [...packages].sort(), cloud: modules.filter((m) => CLOUD_SDK.test(m)) };
}

async function main(): Promise<void> {
  const settings = settingsFromArgs();
  console.log(`dual-auth bench${settings.quick ? ' (--quick)' : ''}: ${machine()}`);
  console.log(`rounds: ${settings.rounds} x ${settings.roundMs} ms per side, alternated, after ${settings.warmupMs} ms warm-up; median ops/s\n`);

  const loads = loadCheck();
  const f = await createBenchFixtures();
  const results: Comparison[] = [];
  let bursts: ColdBurst[] = [];
  try {
    results.push(await actJwt(f, settings));
    results.push(...(await tokenRequests(f, settings, 1)));
    results.push(...(await tokenRequests(f, settings, 50)));
    results.push(...(await verification(f, settings)));
    results.push(...(await tracing(f, settings)));
    bursts = await coldBursts(f);
  } finally {
    await f.cleanup();
  }

  console.log(
    table(
      ['operation', 'baseline ops/s', 'dual-auth ops/s', 'ratio', 'baseline CPU µs/op', 'dual-auth CPU µs/op', 'CPU ratio', `target >= ${TARGET}`],
      results.map((r) => [
        r.name,
        r.baseline,
        r.candidate,
        r.ratio.toFixed(3),
        r.baselineCpuUs,
        r.candidateCpuUs,
        r.cpuRatio.toFixed(3),
        r.ratio >= TARGET ? 'met' : r.cpuRatio >= TARGET ? 'met (CPU)' : 'MISSED',
      ]),
    ),
  );
  console.log('\nratio = dual-auth ops/s / baseline ops/s (wall clock); CPU ratio = baseline CPU per op / dual-auth CPU per op (this process, all threads).');
  console.log('baselines: jose SignJWT + jwtVerify; undici.request POST with the same Agent settings and a same-size form (and the same with a jose HS256 assertion signed per call); jose jwtVerify.');
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('\ncold start: 50 concurrent first calls on a fresh connection pool (two runs each):');
  console.log(table(['calls', 'wall ms', 'CPU ms (this process)'], bursts.map((b) => [b.name, b.wallMs, b.cpuMs])));
  console.log('\nimport of the package entry (fresh process):');
  console.log(
    table(
      ['entry', 'import ms', 'packages loaded', 'cloud SDK modules'],
      loads.map((l) => [l.entry, fmt(l.importMs), l.packages.filter((p) => p !== 'tsx').join(', ') || '(none)', String(l.cloud.length)]),
    ),
  );
  const cloud = loads.flatMap((l) => l.cloud);
  if (cloud.length > 0) {
    console.error(`\nFAIL: importing the package loaded cloud SDK modules:\n${cloud.join('\n')}`);
    process.exitCode = 1;
  }
  const missed = results.filter((r) => r.ratio < TARGET && r.cpuRatio < TARGET);
  if (missed.length > 0) console.log(`\nnote: below target: ${missed.map((m) => m.name).join('; ')} (figures only; see docs/performance.md)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
