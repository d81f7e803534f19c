/**
 * Soak: `npm run soak -- --minutes N [--svg file] [--json file]` (`--draw-from file.json --svg file`: the graph of an earlier run).
 * Mixed load through Toxiproxy against the local IAM and the demo API (their own
 * process), with faults switched on and off every 20 s: in-session token requests
 * (a token cache: hits and misses), out-of-session act JWTs (a share replayed, which
 * must be refused), API calls, and verification against the JWKS. Every 10 s it prints
 * ops/s, p50/p99, errors by code, RSS, heap, active handles and open sockets.
 * It fails when memory or handles grow without bound (the slope over the second half
 * of the run) or when any operation outlives its deadline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startFaultServers } from './faults/servers.js';
import { startToxiproxy, Toxiproxy, type Toxic } from './faults/toxiproxy.js';
import { DualAuthError, HybridSender, InSessionAPICall, InSessionTokenRequest, KeycloakAdapter, OutOfSessionTokenRequest, createDualSubjectVerifier } from '../src/index.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '2' }, svg: { type: 'string' }, json: { type: 'string' }, concurrency: { type: 'string', default: '8' }, 'draw-from': { type: 'string' } },
});
const minutes = Number(values.minutes);
const concurrency = Number(values.concurrency);
if (!(minutes > 0) || !(concurrency > 0)) throw new Error('--minutes and --concurrency must be positive numbers');

const TIMEOUT_MS = 2_000;
const DEADLINE_MS = 5_000;
/** An operation that outlives its deadline by more than this fails the soak (a hang). */
const SLACK_MS = 2_000;
const REPORT_EVERY_MS = 10_000;
const FAULT_EVERY_MS = 20_000;
const FAULTS: Array<{ name: string; toxic?: Toxic }> = [
  { name: 'none' },
  { name: 'latency 200 ms', toxic: { type: 'latency', attributes: { latency: 200, jitter: 100 } } },
  { name: 'none' },
  { name: 'reset_peer 20 %', toxic: { type: 'reset_peer', toxicity: 0.2, attributes: { timeout: 50 } } },
  { name: 'none' },
  { name: 'black hole 30 %', toxic: { type: 'timeout', toxicity: 0.3, attributes: { timeout: 0 } } },
  { name: 'none' },
  { name: 'slicer drip', toxic: { type: 'slicer', toxicity: 0.3, attributes: { average_size: 64, size_variation: 32, delay: 5_000 } } },
];

if (values['draw-from']) {
  // Draw the graph of an earlier run (its --json file) again, without running the load.
  if (!values.svg) throw new Error('--draw-from needs --svg');
  drawSvg(values.svg, (JSON.parse(readFileSync(values['draw-from'], 'utf8')) as { samples: Sample[] }).samples);
  process.exit(0);
}

const toxiproxy = await startToxiproxy();
const local = await startFaultServers();
const api = new Toxiproxy(toxiproxy.api);
const { iam, caCert } = local.servers;
const iamProxy = await api.createProxy('iam', new URL(iam.tokenUrl).host);
const apiProxy = await api.createProxy('api', new URL(local.servers.api.url).host);
const via = (url: string, port: number) => Object.assign(new URL(url), { port: String(port) }).toString();

const adapter = new KeycloakAdapter(
  { tokenUrl: via(iam.tokenUrl, iamProxy.port), clientId: iam.clientId, clientSecret: iam.clientSecret, audience: iam.issuer },
  { ca: caCert, timeoutMs: TIMEOUT_MS, deadlineMs: DEADLINE_MS, retries: 2, backoffMs: 50 },
);
const inSession = new InSessionTokenRequest(adapter, { cache: { skewSeconds: 30 } });
const outOfSession = new OutOfSessionTokenRequest({ adapter, appPublicKey: iam.app.publicKeyPem });
const sender = new HybridSender({ privateKeyPem: iam.app.privateKeyPath });
const apiCall = new InSessionAPICall({ ca: caCert, timeoutMs: TIMEOUT_MS, deadlineMs: DEADLINE_MS, retries: 2, backoffMs: 50 });
const verify = createDualSubjectVerifier({
  vendor: 'keycloak', issuer: iam.issuer, audience: iam.apiAudience, jwksUri: via(iam.jwksUri, iamProxy.port), ca: caCert, jwksTimeoutMs: TIMEOUT_MS, jwksCooldownMs: 5_000, jwksCacheMaxAgeMs: 15_000,
});
const AGENT_ENDPOINT = 'https://agent.local.test/invoke';

/** 100 people: the in-session cache hits for a person seen in the last token lifetime, misses otherwise. */
const person = () => ({ sub: `user-${Math.floor(Math.random() * 100)}` });
let lastToken: string | undefined;
let lastActJwt: string | undefined;

type Op = () => Promise<unknown>;
const ops: Array<[string, Op]> = [
  ['in-session token', async () => (lastToken = (await inSession.requestToken({ agentId: iam.clientId, act: person(), scope: ['finance.read'] })).accessToken)],
  ['out-of-session', async () => {
    const replay = lastActJwt !== undefined && Math.random() < 0.2;
    const actJwt = replay ? (lastActJwt as string) : await sender.prepareOutOfSessionAct({ act: person(), agentEndpoint: AGENT_ENDPOINT, ttlSeconds: 60 });
    try {
      const act = await outOfSession.receiveAndVerifyActJwt({ actJwt, expectedAudience: AGENT_ENDPOINT });
      if (replay) throw new Error('a replayed act JWT was accepted');
      lastActJwt = actJwt; // only an accepted JWT is replayed later: its second use must be refused
      return outOfSession.requestToken({ agentId: iam.clientId, act, scope: ['finance.read'] });
    } catch (error) {
      if (replay && (error as DualAuthError).code === 'ERR_ACT_REPLAY') return undefined; // refused, as it must be
      throw error;
    }
  }],
  ['api call', async () => {
    if (!lastToken) return undefined;
    const res = await apiCall.callApi({ apiUrl: `https://127.0.0.1:${apiProxy.port}/finance/report`, tokenResponse: { accessToken: lastToken, actAssertion: undefined } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new DualAuthError(`API answered ${res.status}`, `HTTP_${res.status}`);
    return undefined;
  }],
  ['verify', async () => (lastToken ? verify(lastToken) : undefined)],
];

interface Sample { t: number; opsPerSecond: number; operations: number; p50: number; p99: number; rssMb: number; heapMb: number; handles: number; sockets: number; errors: Record<string, number>; fault: string }
const samples: Sample[] = [];
let latencies: number[] = [];
let errors: Record<string, number> = {};
const overDeadline: string[] = [];
let fault = 'none';
const started = performance.now();
const endAt = started + minutes * 60_000;

async function worker(): Promise<void> {
  while (performance.now() < endAt) {
    const [name, op] = ops[Math.floor(Math.random() * ops.length)] as [string, Op];
    const t0 = performance.now();
    try {
      await op();
    } catch (error) {
      const code = error instanceof DualAuthError ? error.code : `unexpected ${(error as Error).name}`;
      errors[code] = (errors[code] ?? 0) + 1;
      if (!(error instanceof DualAuthError)) overDeadline.push(`${name}: not a DualAuthError: ${(error as Error).message}`);
    }
    const ms = performance.now() - t0;
    latencies.push(ms);
    if (ms > DEADLINE_MS + SLACK_MS) overDeadline.push(`${name} took ${Math.round(ms)} ms during '${fault}'`);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

let reportedAt = started;
function report(): void {
  const now = performance.now();
  const elapsedMs = Math.max(1, now - reportedAt);
  reportedAt = now;
  const sorted = latencies.sort((a, b) => a - b);
  const resources = process.getActiveResourcesInfo();
  // The live heap, not the garbage not yet collected (npm run soak passes --expose-gc).
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const sample: Sample = {
    t: Math.round((performance.now() - started) / 1000),
    opsPerSecond: Math.round((latencies.length / elapsedMs) * 1000),
    operations: latencies.length,
    p50: Math.round(percentile(sorted, 50)),
    p99: Math.round(percentile(sorted, 99)),
    rssMb: +(memory.rss / 2 ** 20).toFixed(1),
    heapMb: +(memory.heapUsed / 2 ** 20).toFixed(1),
    handles: resources.length,
    sockets: resources.filter((kind) => kind === 'TCPSocketWrap' || kind === 'TLSWrap').length,
    errors,
    fault,
  };
  samples.push(sample);
  console.log(
    `[soak] t=${sample.t}s ops/s=${sample.opsPerSecond} p50=${sample.p50}ms p99=${sample.p99}ms rss=${sample.rssMb}MB heap=${sample.heapMb}MB handles=${sample.handles} sockets=${sample.sockets} fault='${fault}' errors=${JSON.stringify(errors)}`,
  );
  latencies = [];
  errors = {};
}

/** Least-squares slope of y over x (per unit of x). */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function switchFaults(): Promise<void> {
  for (let i = 1; performance.now() < endAt; i++) {
    await sleep(Math.min(FAULT_EVERY_MS, Math.max(0, endAt - performance.now())));
    if (performance.now() >= endAt) break;
    const next = FAULTS[i % FAULTS.length] as (typeof FAULTS)[number];
    await api.reset();
    for (const proxy of ['iam', 'api']) if (next.toxic) await api.addToxic(proxy, { ...next.toxic, name: 'soak' });
    fault = next.name;
  }
}

/** One panel per measure, each on its own scale, faults shaded: a curve to look at rather than a table to read. */
function drawSvg(path: string, points: readonly Sample[]): void {
  const width = 900;
  const panelHeight = 130;
  const left = 70;
  const right = 20;
  const series: Array<[string, string, (s: Sample) => number]> = [
    ['ops/s', '#2ca02c', (s) => s.opsPerSecond],
    ['p99 (ms)', '#ff7f0e', (s) => s.p99],
    ['RSS (MB)', '#d62728', (s) => s.rssMb],
    ['heap used after GC (MB)', '#1f77b4', (s) => s.heapMb],
    ['active handles', '#9467bd', (s) => s.handles],
  ];
  const maxT = Math.max(1, ...points.map((s) => s.t));
  const x = (t: number) => left + ((width - left - right) * t) / maxT;
  const parts: string[] = [];
  series.forEach(([label, color, get], i) => {
    const top = 30 + i * (panelHeight + 20);
    const values = points.map(get);
    const max = Math.max(1, ...values) * 1.1;
    const y = (v: number) => top + panelHeight - (panelHeight * v) / max;
    // Shade the intervals with a fault switched on.
    points.forEach((s, j) => {
      if (s.fault === 'none' || j === 0) return;
      const from = x((points[j - 1] as Sample).t);
      parts.push(`<rect x="${from.toFixed(1)}" y="${top}" width="${(x(s.t) - from).toFixed(1)}" height="${panelHeight}" fill="#eee"/>`);
    });
    parts.push(`<rect x="${left}" y="${top}" width="${width - left - right}" height="${panelHeight}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${left + 6}" y="${top + 14}" font-size="12" fill="${color}">${label}: ${Math.min(...values)} to ${Math.max(...values)}</text>`);
    parts.push(`<text x="${left - 6}" y="${top + 10}" font-size="10" text-anchor="end">${Math.round(max)}</text><text x="${left - 6}" y="${top + panelHeight}" font-size="10" text-anchor="end">0</text>`);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points.map((s) => `${x(s.t).toFixed(1)},${y(get(s)).toFixed(1)}`).join(' ')}"/>`);
  });
  const height = 30 + series.length * (panelHeight + 20) + 20;
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13">dual-auth soak: ${Math.round(maxT / 60)} min, a sample every 10 s; grey: a fault switched on</text>`,
    ...parts,
    `<text x="${(left + width - right) / 2}" y="${height - 6}" font-size="11" text-anchor="middle">seconds (0 to ${maxT})</text>`,
    '</svg>',
  ].join('\n');
  writeFileSync(path, `${svg}\n`);
}

let exitCode = 0;
try {
  const reporter = setInterval(report, REPORT_EVERY_MS);
  await Promise.all([...Array.from({ length: concurrency }, worker), switchFaults()]);
  clearInterval(reporter);
  report();
  // The slopes are taken over the samples made under load (the last one comes after it ended).
  const loaded = samples.slice(0, -1);
  const second = loaded.slice(Math.floor(loaded.length / 2));
  const perMinute = (get: (s: Sample) => number) => slope(second.map((s) => [s.t / 60, get(s)]));
  const growth = (get: (s: Sample) => number) => (second.length > 1 ? get(second[second.length - 1] as Sample) - get(second[0] as Sample) : 0);
  const heapSlope = perMinute((s) => s.heapMb);
  const rssSlope = perMinute((s) => s.rssMb);
  const handleSlope = perMinute((s) => s.handles);
  const failures: string[] = [];
  // Unbounded growth: a steady rise over the second half, both as a slope and in total.
  if (heapSlope > 4 && growth((s) => s.heapMb) > 10) failures.push(`heap grows ${heapSlope.toFixed(2)} MB/min over the second half`);
  if (rssSlope > 8 && growth((s) => s.rssMb) > 20) failures.push(`RSS grows ${rssSlope.toFixed(2)} MB/min over the second half`);
  if (handleSlope > 2 && growth((s) => s.handles) > 5) failures.push(`active handles grow ${handleSlope.toFixed(2)}/min over the second half`);
  failures.push(...overDeadline.slice(0, 20));
  const total = samples.reduce((sum, sample) => sum + sample.operations, 0);
  console.log(`[soak] ${minutes} min, ${total} operations; second-half slopes: heap ${heapSlope.toFixed(2)} MB/min, RSS ${rssSlope.toFixed(2)} MB/min, handles ${handleSlope.toFixed(2)}/min`);
  if (values.svg) drawSvg(values.svg, samples);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ minutes, concurrency, samples, heapSlope, rssSlope, handleSlope, failures }, null, 1)}\n`);
  if (failures.length > 0) {
    console.error(`[soak] FAILED:\n  ${failures.join('\n  ')}`);
    exitCode = 1;
  } else {
    console.log('[soak] passed: no unbounded growth, no operation over its deadline');
  }
} finally {
  await api.reset().catch(() => {});
  await local.stop();
  await toxiproxy.stop();
}
process.exit(exitCode);
