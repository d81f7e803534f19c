// Spawned by bench/index.ts with --expose-gc: 100,000 distinct people through the
// built package's TokenCache (default bound: 1,000 tokens) and MemoryReplayCache
// (default bound: 100,000 jtis), then 100,000 more once the first ones' act JWTs
// have expired (the replay cache's clock moved on). Prints, as JSON, the sizes, the
// bounds, and RSS and heap before and after (after a full GC each time).
// argv: <people> <access token> (the token stands for a real one's size)
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const { TokenCache, TokenResponse, MemoryReplayCache, tokenCacheKey } = await import(pathToFileURL(resolve(import.meta.dirname, '..', 'dist', 'index.js')).href);
const people = Number(process.argv[2]);
const accessToken = process.argv[3];

const memory = () => {
  globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMiB: rss / 2 ** 20, heapMiB: heapUsed / 2 ** 20 };
};

const adapter = { constructor: { name: 'KeycloakAdapter' }, tokenUrl: 'https://iam.example/realms/r/protocol/openid-connect/token', clientId: 'finance-agent', audience: undefined, delegation: 'act' };
let clock = 1_900_000_000;
const tokens = new TokenCache();
const replay = new MemoryReplayCache({ now: () => clock });
const before = memory();
const started = performance.now();
let largestTokens = 0;
let largestReplay = 0;
for (let wave = 0; wave < 2; wave++) {
  for (let i = 0; i < people; i++) {
    const act = { sub: `person-${wave}-${i}`, email: `person-${i}@example.com`, name: `Person ${i}` };
    const key = tokenCacheKey(adapter, { agentId: 'finance-agent', act, scope: ['finance.read'] });
    await tokens.getOrRequest(key, async () => new TokenResponse({ accessToken, tokenType: 'Bearer', expiresIn: 300, scope: 'finance.read' }));
    // One act JWT per person, valid 300 s (the reference's longest): its jti kept until then.
    if (!replay.checkAndStore(randomBytes(32).toString('base64url'), clock + 300)) throw new Error('a fresh jti was taken for a replay');
    largestTokens = Math.max(largestTokens, tokens.size);
    largestReplay = Math.max(largestReplay, replay.size);
  }
  clock += 301; // the first wave's act JWTs have expired: their jtis may go
}
const after = memory();
process.stdout.write(
  `${JSON.stringify({
    people: 2 * people,
    seconds: (performance.now() - started) / 1000,
    tokenCache: { bound: 1000, largest: largestTokens, size: tokens.size },
    replayCache: { bound: 100_000, largest: largestReplay, size: replay.size },
    before,
    after,
  })}\n`,
);
