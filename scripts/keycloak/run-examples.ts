/**
 * npm run example:keycloak: the in-session and out-of-session flows of dual-auth
 * against the local Keycloak (started here when not running), step by step.
 * Prints identifiers only: no secret, token, email or name.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ActVerificationError,
  createAdapter,
  getConfig,
  HybridSender,
  InSessionTokenRequest,
  OutOfSessionTokenRequest,
  UserSession,
  verifyDualSubjectToken,
  type TokenResponse,
} from '../../src/index.js';
import { ensureKeycloak, paths } from './provision.js';

let step = 0;
const say = (text: string) => console.log(`\n${++step}. ${text}`);
const detail = (text: string) => console.log(`   ${text}`);

async function main(): Promise<void> {
  say('Keycloak: start it, or reuse the running one');
  const { env, started } = await ensureKeycloak((line) => detail(line));
  const ca = readFileSync(paths.caCert, 'utf8');
  detail(`${started ? 'started' : 'already running'}: ${env.KEYCLOAK_TOKEN_URL}`);

  say('Configuration: getConfig() reads the values npm run keycloak:start wrote to .keycloak.env');
  const config = await getConfig({ vendor: 'keycloak', env: { ...env } });
  const adapter = createAdapter(config, { ca });
  detail(`vendor ${config.vendor}, agent client ${config.clientId}`);

  const verify = async (label: string, token: TokenResponse) => {
    // What the finance API does with the token: the library's verifier, keys from the realm JWKS.
    const identity = await verifyDualSubjectToken(token.accessToken, {
      vendor: 'keycloak',
      issuer: env.KEYCLOAK_ISSUER,
      audience: env.KEYCLOAK_API_AUDIENCE,
      jwksUri: env.KEYCLOAK_JWKS_URL,
      ca,
    });
    detail(`${label}: token verified with the realm JWKS (expires in ${token.expiresIn}s, scope "${token.scope}")`);
    detail(`  agent  = ${identity.agent.id} (roles: ${identity.agent.roles.join(', ')})`);
    detail(`  human  = act.sub ${identity.human.id}${identity.human.id === env.TEST_USER_ID ? ' (the test user)' : ''}`);
  };

  // ----- in-session: the human is logged in to the app that runs the agent
  say('In-session: the logged-in human becomes the act claim');
  const sender = new HybridSender();
  const session = new UserSession({ userEmail: env.TEST_USER_EMAIL, userName: 'Alice Example', userId: env.TEST_USER_ID });
  const act = sender.prepareInSessionAct(sender.extractActFromSession(session));
  detail(`act.sub = ${act.sub}`);

  say('In-session: the agent requests its token (client assertion HS256 carrying act)');
  const inSessionToken = await new InSessionTokenRequest(adapter).requestToken({ agentId: config.clientId, act, scope: ['finance.read'] });
  await verify('in-session', inSessionToken);

  // ----- out-of-session: a remote agent receives the human identity as a signed act JWT
  say('Out-of-session: the app signs the act as a 60 s RS256 JWT for the agent endpoint');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appSender = new HybridSender({ privateKey });
  const agentEndpoint = 'https://agent.example.com/invoke';
  const actJwt = await appSender.prepareOutOfSessionAct({ act, agentEndpoint, ttlSeconds: 60 });
  detail(`act JWT made for ${agentEndpoint}`);

  say('Out-of-session: the agent verifies the act JWT, then requests its token');
  const remoteAgent = new OutOfSessionTokenRequest({ adapter, appPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  const verifiedAct = await remoteAgent.receiveAndVerifyActJwt({ actJwt, expectedAudience: agentEndpoint });
  const outOfSessionToken = await remoteAgent.requestToken({ agentId: config.clientId, act: verifiedAct, scope: ['finance.read', 'finance.write'] });
  await verify('out-of-session', outOfSessionToken);

  say('Out-of-session: the same act JWT a second time is refused');
  try {
    await remoteAgent.receiveAndVerifyActJwt({ actJwt, expectedAudience: agentEndpoint });
    throw new Error('the replayed act JWT was accepted');
  } catch (error) {
    if (!(error instanceof ActVerificationError)) throw error;
    detail(`ActVerificationError: ${error.message}`);
  }

  // ----- the guide's test scripts (examples/), pointed at this Keycloak
  for (const script of ['examples/test-in-session.ts', 'examples/test-out-of-session.ts']) {
    say(`${script} against the local Keycloak`);
    runExample(script, { ...env }, appKeyFiles(privateKey, publicKey));
  }

  console.log('\nDone: act travelled from the client assertion into Keycloak-signed access tokens.');
  console.log('Stop Keycloak with: npm run keycloak:stop');
}

/** The application key pair as PEM files, for the examples that take paths (APP_*_KEY_PATH). */
function appKeyFiles(privateKey: import('node:crypto').KeyObject, publicKey: import('node:crypto').KeyObject): Record<string, string> {
  const dir = join(paths.cache, 'app-keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privatePath = join(dir, 'app-private-key.pem');
  const publicPath = join(dir, 'app-public-key.pem');
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { APP_PRIVATE_KEY_PATH: privatePath, APP_PUBLIC_KEY_PATH: publicPath };
}

function runExample(script: string, env: Record<string, string>, extra: Record<string, string>): void {
  if (!existsSync(join(paths.root, script))) throw new Error(`${script} is missing`);
  // The .keycloak.env values win over a developer's shell or .env; no API_URL: there is no finance API here.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, ...extra, ENV_FILE: paths.envFile, LOG_LEVEL: 'silent' };
  delete childEnv.API_URL;
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: paths.root, env: childEnv, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${script} exited with ${result.status ?? result.signal}`);
}

main().catch((error: unknown) => {
  console.error(`\nexample:keycloak failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exitCode = 1;
});
