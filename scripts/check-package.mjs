// `npm run test:package`: the built package (dist/) exposes the contract both ways,
// VERSION equals package.json, and importing the entry loads no optional peer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const CONTRACT = [
  'VERSION', 'getConfig', 'getVendor', 'getSecretsBackendType', 'ConfigurationError', 'SecretsBackendError',
  'BaseAdapter', 'TokenResponse', 'TokenRequestError', 'validateAdapterConfig',
  'KeycloakAdapter', 'Auth0Adapter', 'OktaAdapter', 'EntraIDAdapter', 'createAdapter',
  'HybridSender', 'UserSession', 'InSessionTokenRequest', 'OutOfSessionTokenRequest',
  'InSessionAPICall', 'OutOfSessionAPICall', 'DualAuthError', 'ActVerificationError',
  'verifyDualSubjectToken', 'createDualSubjectVerifier',
];
const OPTIONAL_PEERS = ['@aws-sdk', '@google-cloud', '@azure', 'node-vault', 'express', 'fastify', 'oidc-provider', '@peculiar', 'commander'];

let failures = 0;
function check(name, fn) {
  try {
    fn();
    console.log(`ok - ${name}`);
  } catch (error) {
    failures++;
    console.log(`not ok - ${name}\n  ${error.message.split('\n').join('\n  ')}`);
  }
}

const cjs = require('dual-auth');
const esm = await import('dual-auth');

check('require() and import give the same names', () => assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).filter((k) => k !== 'default').sort()));
check('every contract name is exported', () => assert.deepEqual(CONTRACT.filter((name) => !(name in esm) || !(name in cjs)), []));
check('VERSION equals package.json version', () => {
  assert.equal(esm.VERSION, pkg.version);
  assert.equal(cjs.VERSION, pkg.version);
});
check('errors are DualAuthErrors with codes in both formats', () => {
  for (const mod of [esm, cjs]) {
    const error = new mod.TokenRequestError('x', 401);
    assert.ok(error instanceof mod.DualAuthError);
    assert.equal(error.code, 'ERR_TOKEN_HTTP');
    assert.equal(String(error), 'Token request failed (HTTP 401): x');
  }
});
check('importing the entry loads no optional peer (cloud SDKs, frameworks, local IAM)', () => {
  const loaded = Object.keys(require.cache).filter((path) => OPTIONAL_PEERS.some((peer) => path.includes(`node_modules/${peer}`)));
  assert.deepEqual(loaded, []);
  const source = readFileSync(new URL('../dist/index.js', import.meta.url), 'utf8');
  const staticImports = [...source.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
  assert.deepEqual(staticImports.filter((spec) => OPTIONAL_PEERS.some((peer) => spec.startsWith(peer))), []);
});
for (const sub of ['dual-auth/express', 'dual-auth/fastify', 'dual-auth/local-iam']) {
  check(`${sub} resolves in both formats`, () => {
    assert.ok(require.resolve(sub).endsWith('.cjs'));
  });
}

const total = 5 + 3;
console.log(`\n${total - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
