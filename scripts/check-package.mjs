// `npm run test:package` (after `npm run build`): what a user installs.
// - the packed file list (`npm pack --dry-run`) is exactly the expected one, with the LICENSE and
//   the package's home (repository, homepage, bugs), and every relative link in the shipped
//   Markdown resolves to a shipped file;
// - the built entry points expose the contract both ways (import and require), VERSION equals
//   package.json, and importing the main entry loads no optional peer;
// - every entry point, in ESM and in CJS, shares one DualAuthError class (instanceof, httpStatusFor,
//   an authorize hook's own DualAuthError);
// - in a project that installed the package, `npx dual-auth` runs the bin and the commands it
//   prints work there.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, posix, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(error?.message ?? error).split('\n').join('\n  ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The tarball
// ---------------------------------------------------------------------------------------------

// The entry points, from package.json `exports` ('.' is dist/index).
const ENTRIES = Object.keys(pkg.exports).filter((path) => path !== './package.json').map((path) => (path === '.' ? 'index' : path.slice(2)));
const EXPECTED_FILES = [
  'LICENSE',
  'README.md',
  'CHANGELOG.md',
  '.env.example',
  'package.json',
  'dist/cli.js',
  'dist/cli.js.map',
  ...ENTRIES.flatMap((entry) => ['.js', '.js.map', '.cjs', '.cjs.map', '.d.ts', '.d.cts'].map((ext) => `dist/${entry}${ext}`)),
  // Every Markdown page under docs/ ships, and nothing else there.
  ...readdirSync(join(root, 'docs'), { recursive: true }).filter((path) => path.endsWith('.md')).map((path) => `docs/${path.split(sep).join('/')}`),
];
// Shared and lazily loaded modules (tsup splitting) and shared declaration files carry a content hash.
const CHUNK = /^dist\/chunks\/[a-z0-9-]+-[A-Z0-9]{8}\.(js|cjs)(\.map)?$/;
const DECLARATION_CHUNK = /^dist\/[a-z0-9-]+-[A-Za-z0-9_-]{8}\.d\.c?ts$/;

const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }))[0];
const packedFiles = packed.files.map((file) => file.path).sort();

await check('the packed file list is exactly the expected one', () => {
  const unexpected = packedFiles.filter((file) => !EXPECTED_FILES.includes(file) && !CHUNK.test(file) && !DECLARATION_CHUNK.test(file));
  const missing = EXPECTED_FILES.filter((file) => !packedFiles.includes(file));
  assert.deepEqual({ unexpected, missing }, { unexpected: [], missing: [] });
});

await check('every shipped code chunk is reached from an entry point (no stale build output)', () => {
  const reached = new Set();
  const queue = [...ENTRIES.flatMap((entry) => [`dist/${entry}.js`, `dist/${entry}.cjs`]), 'dist/cli.js'];
  while (queue.length > 0) {
    const file = queue.pop();
    if (reached.has(file)) continue;
    reached.add(file);
    const source = readFileSync(join(root, file), 'utf8');
    for (const match of source.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*["'](\.\.?\/[^"']+)["']/g)) {
      queue.push(posix.join(posix.dirname(file), match[1]));
    }
  }
  const chunks = packedFiles.filter((file) => CHUNK.test(file) && !file.endsWith('.map'));
  assert.deepEqual(chunks.filter((file) => !reached.has(file)), []);
  assert.deepEqual([...reached].filter((file) => !packedFiles.includes(file)), []);
});

await check('LICENSE is the Apache License 2.0, as package.json says', () => {
  assert.equal(pkg.license, 'Apache-2.0');
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/);
  assert.match(license, /END OF TERMS AND CONDITIONS/);
});

await check('package.json names the project home: repository, homepage, bugs', () => {
  assert.equal(pkg.repository?.type, 'git');
  assert.match(pkg.repository?.url ?? '', /^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
  assert.match(pkg.homepage ?? '', /^https:\/\/github\.com\//);
  assert.match(pkg.bugs?.url ?? '', /^https:\/\/github\.com\/[^/]+\/[^/]+\/issues$/);
});

await check('every relative link in the shipped Markdown resolves to a shipped file', () => {
  const broken = [];
  for (const file of packedFiles.filter((f) => f.endsWith('.md'))) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    let fenced = false;
    lines.forEach((line, index) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      if (fenced) return;
      // [text](target) and [label]: target, outside code spans.
      const prose = line.replace(/`[^`]*`/g, '');
      const targets = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g), ...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)].map((m) => m[1]);
      for (const target of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
        const path = posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(target.split('#')[0])));
        const exists = packedFiles.includes(path) || packedFiles.some((f) => f.startsWith(`${path.replace(/\/$/, '')}/`));
        if (!exists) broken.push(`${file}:${index + 1}: ${target}`);
      }
    });
  }
  assert.deepEqual(broken, []);
});

// ---------------------------------------------------------------------------------------------
// The entry points
// ---------------------------------------------------------------------------------------------

const CONTRACT = [
  'VERSION', 'getConfig', 'getVendor', 'getSecretsBackendType', 'ConfigurationError', 'SecretsBackendError',
  'BaseAdapter', 'TokenResponse', 'TokenRequestError', 'validateAdapterConfig',
  'KeycloakAdapter', 'Auth0Adapter', 'OktaAdapter', 'EntraIDAdapter', 'createAdapter',
  'HybridSender', 'UserSession', 'InSessionTokenRequest', 'OutOfSessionTokenRequest',
  'InSessionAPICall', 'OutOfSessionAPICall', 'DualAuthError', 'ActVerificationError',
  'verifyDualSubjectToken', 'createDualSubjectVerifier',
];
const OPTIONAL_PEERS = ['@aws-sdk', '@google-cloud', '@azure', 'node-vault', 'express', 'fastify', 'oidc-provider', '@peculiar', 'commander', 'redis', '@redis', 'hono', '@hono', '@modelcontextprotocol', '@opentelemetry'];

const cjs = require('dual-auth');
const esm = await import('dual-auth');
const loadedAfterMainEntry = Object.keys(require.cache).filter((path) => OPTIONAL_PEERS.some((peer) => path.includes(`node_modules/${peer}`)));

await check('require() and import give the same names', () => {
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).filter((k) => k !== 'default').sort());
});
await check('every contract name is exported', () => {
  assert.deepEqual(CONTRACT.filter((name) => !(name in esm) || !(name in cjs)), []);
});
await check('VERSION equals package.json version', () => {
  assert.equal(esm.VERSION, pkg.version);
  assert.equal(cjs.VERSION, pkg.version);
});
await check('importing the main entry loads no optional peer (cloud SDKs, frameworks, local IAM)', () => {
  assert.deepEqual(loadedAfterMainEntry, []);
  const source = readFileSync(join(root, 'dist/index.js'), 'utf8');
  const staticImports = [...source.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
  assert.deepEqual(staticImports.filter((spec) => OPTIONAL_PEERS.some((peer) => spec.startsWith(peer))), []);
});
// What importing an entry point, and then a first use, loads (fresh processes, bench/load-check.mjs): the
// import-time budget held structurally (issue 13). Our own chunks parse in a few milliseconds; jose, undici and
// zod cost 45, 110 and 70 ms of CPU to import, so none of them may load before it is needed.
function loadTrace(file, firstUse) {
  const args = [join(root, 'bench/load-check.mjs'), join(root, file), ...(firstUse ? [join(root, 'scripts/first-use.mjs')] : [])];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, FIRST_USE: firstUse ?? '' } }));
}
const packagesIn = (modules) => [...new Set(modules.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter(Boolean))].sort();

// The entries built on a peer load that peer (and what it loads) at import; every other entry loads no package.
const PEER_ENTRIES = { fastify: 'fastify-plugin', mcp: '@modelcontextprotocol/sdk' };
await check('importing any entry point loads none of our dependencies (jose, undici wait for their first use), ESM and CJS', () => {
  for (const entry of ENTRIES) {
    for (const ext of ['.js', '.cjs']) {
      const packages = packagesIn(loadTrace(`dist/${entry}${ext}`).modules);
      const where = `dist/${entry}${ext}`;
      assert.deepEqual(packages.filter((name) => name in pkg.dependencies), [], where);
      if (PEER_ENTRIES[entry]) assert.ok(packages.includes(PEER_ENTRIES[entry]), where);
      else assert.deepEqual(packages, [], where);
    }
  }
});
await check('a first verification with a PEM key loads no package; a first JWKS fetch loads jose', () => {
  const pem = loadTrace('dist/index.js', 'verify-pem');
  assert.equal(pem.actionResult, 'person');
  assert.deepEqual(packagesIn(pem.actionModules), []);
  const jwks = loadTrace('dist/index.js', 'verify-jwks');
  assert.equal(jwks.actionResult, 'ERR_JWKS_UNAVAILABLE');
  assert.deepEqual(packagesIn(jwks.actionModules), ['jose', 'undici']);
});
await check("a first token request loads undici's Agent and request modules, not its index (fetch, WebSocket, caches), and no jose", () => {
  for (const file of ['dist/index.js', 'dist/index.cjs']) {
    const trace = loadTrace(file, 'token-request');
    assert.equal(trace.actionResult, 'ERR_NETWORK', file);
    assert.deepEqual(packagesIn(trace.actionModules), ['undici'], file);
    const undici = trace.actionModules.filter((url) => url.includes('/node_modules/undici/')).map((url) => url.replace(/.*\/node_modules\/undici\//, ''));
    assert.ok(undici.includes('lib/dispatcher/agent.js') && undici.includes('lib/api/api-request.js'), file);
    assert.deepEqual(undici.filter((path) => path === 'index.js' || path.startsWith('lib/web/') || path.startsWith('lib/cache/')), [], file);
  }
});
for (const sub of ENTRIES.filter((entry) => entry !== 'index').map((entry) => `dual-auth/${entry}`)) {
  await check(`${sub} resolves in both formats`, async () => {
    assert.ok(require.resolve(sub).endsWith('.cjs'));
    assert.ok(import.meta.resolve(sub).endsWith('.js'));
  });
}
await check('a secrets backend loads lazily from both formats (split chunks work in CJS)', async () => {
  for (const mod of [esm, cjs]) {
    // The AWS backend's chunk loads, then refuses a non-HTTPS endpoint before any network use.
    await assert.rejects(
      mod.getConfig({ secretsBackend: 'aws', env: { AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://iam.example.com', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' } }),
      // The message comes from the AWS backend's own module: its chunk was loaded and ran.
      (error) => error instanceof esm.SecretsBackendError && error.backend === 'aws' && /must use HTTPS/.test(error.message),
    );
  }
});

// ---------------------------------------------------------------------------------------------
// One DualAuthError across every entry point and both module systems
// ---------------------------------------------------------------------------------------------

const sides = {
  esm: {
    index: esm,
    express: await import('dual-auth/express'),
    fastify: await import('dual-auth/fastify'),
    hono: await import('dual-auth/hono'),
    mcp: await import('dual-auth/mcp'),
    'local-iam': await import('dual-auth/local-iam'),
  },
  cjs: {
    index: cjs,
    express: require('dual-auth/express'),
    fastify: require('dual-auth/fastify'),
    hono: require('dual-auth/hono'),
    mcp: require('dual-auth/mcp'),
    'local-iam': require('dual-auth/local-iam'),
  },
};
const pairs = [['esm', 'esm'], ['cjs', 'cjs'], ['esm', 'cjs'], ['cjs', 'esm']];

await check('each module system defines DualAuthError once, in a shared chunk', () => {
  for (const [ext, label] of [['.js', 'ESM'], ['.cjs', 'CJS']]) {
    const files = packedFiles.filter((file) => file.endsWith(ext) && file.startsWith('dist/'));
    const defining = files.filter((file) => /(\bclass DualAuthError|\bDualAuthError = class( _DualAuthError)?) extends Error\b/.test(readFileSync(join(root, file), 'utf8')));
    assert.equal(defining.length, 1, `${label}: DualAuthError is defined in ${defining.join(', ') || 'no file'}`);
  }
});

await check('every error class: instanceof holds across ESM and CJS, and only for its own kind', () => {
  const classes = ['DualAuthError', 'ConfigurationError', 'SecretsBackendError', 'TokenRequestError', 'ActVerificationError', 'KeyLoadError', 'HttpError'];
  const make = (mod, name) => (name === 'SecretsBackendError' ? new mod[name]('x', 'aws') : name === 'HttpError' ? new mod[name]('tls', 'x') : new mod[name]('x'));
  for (const [from, to] of pairs) {
    for (const made of classes) {
      const error = make(sides[from].index, made);
      for (const name of classes) {
        const expected = name === made || name === 'DualAuthError';
        assert.equal(error instanceof sides[to].index[name], expected, `${from} ${made} instanceof ${to} ${name}`);
      }
      assert.ok(error instanceof Error);
      // The public class name, not a bundler's rename (esbuild made DualAuthError `_DualAuthError`).
      assert.equal(error.name, made, `${from} ${made}: error.name`);
      assert.equal(sides[from].index[made].name, made, `${from} ${made}: the class name`);
    }
  }
  class ApplicationError extends esm.DualAuthError {}
  assert.equal(new esm.DualAuthError('x') instanceof ApplicationError, false, 'an unbranded subclass keeps the ordinary check');
  assert.equal(new ApplicationError('x') instanceof cjs.DualAuthError, true);
  assert.equal(new ApplicationError('x').name, 'ApplicationError', "an application's subclass keeps its own name");
});

await check('httpStatusFor from dual-auth/express, dual-auth/fastify and dual-auth/hono: 401 for a main-entry ERR_TOKEN_MISSING', () => {
  for (const [from, to] of pairs) {
    for (const sub of ['express', 'fastify', 'hono']) {
      const error = new sides[from].index.DualAuthError('Missing bearer token', 'ERR_TOKEN_MISSING');
      assert.equal(sides[to][sub].httpStatusFor(error), 401, `${from} error, ${to} ${sub}`);
    }
  }
});

await check("dual-auth/mcp refuses with the MCP SDK's own error classes in each module system (requireBearerAuth's instanceof holds)", async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
  const sdk = { esm: await import('@modelcontextprotocol/sdk/server/auth/errors.js'), cjs: require('@modelcontextprotocol/sdk/server/auth/errors.js') };
  for (const format of ['esm', 'cjs']) {
    const verifier = sides[format].mcp.createMcpTokenVerifier({ vendor: 'keycloak', issuer: 'https://iam.example.test/realms/r', audience: 'https://mcp.example.test/mcp', key });
    await assert.rejects(verifier.verifyAccessToken('not-a-jwt'), (error) => {
      assert.ok(error instanceof sdk[format].InvalidTokenError, `${format}: an InvalidTokenError of the ${format} SDK`);
      assert.equal(error.message, 'Access token is malformed');
      assert.ok(error.cause instanceof sides[format].index.DualAuthError);
      return true;
    });
  }
});

await check('with an OpenTelemetry provider registered, the built entries make spans in both formats (the API loaded lazily)', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const { trace } = require('@opentelemetry/api');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  try {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    for (const format of ['esm', 'cjs']) {
      exporter.reset();
      const verify = sides[format].index.createDualSubjectVerifier({ vendor: 'keycloak', issuer: 'https://iam.example.test/realms/r', audience: 'https://api.example.test', key });
      await assert.rejects(verify('not-a-jwt'));
      const spans = exporter.getFinishedSpans().map((span) => [span.name, span.attributes['dual_auth.outcome']]);
      assert.deepEqual(spans, [['dual_auth.token.verify', 'ERR_TOKEN_INVALID']], format);
    }
  } finally {
    trace.disable();
  }
});

await check('errors thrown by dual-auth/local-iam are DualAuthErrors of the main entry', async () => {
  for (const [from, to] of pairs) {
    await assert.rejects(sides[from]['local-iam'].startLocalIam({ vendor: 'nope' }), (error) => {
      assert.ok(error instanceof sides[to].index.DualAuthError, `${from} local-iam error instanceof ${to} DualAuthError`);
      assert.equal(error.code, 'ERR_INVALID_ARGUMENT');
      return true;
    });
  }
});

await check('dual-auth/redis loads no Redis client until used; its errors are DualAuthErrors of the main entry', async () => {
  const before = new Set(Object.keys(require.cache));
  const redisSides = { esm: await import('dual-auth/redis'), cjs: require('dual-auth/redis') };
  const loaded = Object.keys(require.cache).filter((path) => !before.has(path) && /node_modules\/(redis|@redis)\//.test(path));
  assert.deepEqual(loaded, []);
  for (const [from, to] of pairs) {
    assert.throws(
      () => new redisSides[from].RedisTokenCache({ url: 'redis://127.0.0.1:6379', encryptionKey: 'too-short' }),
      (error) => error instanceof sides[to].index.DualAuthError && error.code === 'ERR_INVALID_ENCRYPTION_KEY',
      `${from} redis error instanceof ${to} DualAuthError`,
    );
  }
});

await check("an authorize hook's DualAuthError passes through dualAuth() (403 with its message)", async () => {
  const express = require('express');
  const iam = await sides.esm['local-iam'].startLocalIam({ vendor: 'keycloak' });
  try {
    const adapter = cjs.createAdapter(
      { vendor: 'keycloak', tokenUrl: iam.tokenUrl, clientId: iam.agent.clientId, clientSecret: iam.agent.clientSecret },
      { ca: iam.caCert },
    );
    const token = await adapter.requestToken({ agentId: iam.agent.clientId, act: { sub: iam.testUser.id }, scope: ['finance.read'] });
    for (const [from, to] of pairs) {
      const app = express();
      app.use(
        sides[to].express.dualAuth({
          vendor: 'keycloak',
          issuer: iam.issuer,
          audience: iam.apiAudience,
          ca: iam.caCert,
          authorize: () => {
            throw new sides[from].index.DualAuthError('Finance is closed on Sundays', 'ERR_FORBIDDEN');
          },
        }),
      );
      app.get('/', (_req, res) => res.json({ ok: true }));
      const server = await new Promise((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      try {
        const response = await fetch(`http://127.0.0.1:${server.address().port}/`, { headers: { authorization: `Bearer ${token.accessToken}` } });
        const body = await response.json();
        assert.deepEqual({ status: response.status, body }, { status: 403, body: { error: 'insufficient_scope', error_description: 'Finance is closed on Sundays' } }, `${from} error, ${to} express`);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  } finally {
    await iam.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The bin in a project that installed the package
// ---------------------------------------------------------------------------------------------

await check('in an installed project, `npx dual-auth` runs the bin, and the commands it prints run as printed', async () => {
  const project = mkdtempSync(join(tmpdir(), 'dual-auth-installed-'));
  let devIam;
  try {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-agent', private: true, dependencies: { 'dual-auth': pkg.version } }));
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(root, join(project, 'node_modules', 'dual-auth'), 'dir');
    symlinkSync(join('..', 'dual-auth', pkg.bin['dual-auth']), join(project, 'node_modules', '.bin', 'dual-auth'));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };

    const version = execFileSync('npx', ['--no-install', 'dual-auth', '--version'], { cwd: project, env, encoding: 'utf8' });
    assert.equal(version.trim(), pkg.version);

    devIam = spawn('npx', ['--no-install', 'dual-auth', 'dev-iam', '--dotenv', 'dev.env'], { cwd: project, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let banner = '';
    const command = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${banner}`)), 60_000);
      const read = (chunk) => {
        banner += chunk;
        const found = /^Try: (.+?) {3}\|/m.exec(banner);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      };
      devIam.stdout.on('data', read);
      devIam.stderr.on('data', read);
      devIam.on('exit', (code) => reject(new Error(`dev-iam exited (${code}):\n${banner}`)));
    });
    assert.equal(command, 'npx dual-auth doctor --env-file dev.env --request-token');
    const doctor = execFileSync('sh', ['-c', command], { cwd: project, env, encoding: 'utf8' });
    assert.match(doctor, /All checks passed\./);
  } finally {
    if (devIam?.exitCode === null) {
      const exited = new Promise((resolve) => devIam.on('exit', resolve));
      process.kill(-devIam.pid, 'SIGINT');
      await exited;
    }
    rmSync(project, { recursive: true, force: true });
  }
});

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
