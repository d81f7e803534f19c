/**
 * Step 8 of the guide, "Test Out-of-Session Flow": the TypeScript `test_out_of_session.py`.
 *
 *   npx tsx examples/test-out-of-session.ts      (reads .env, like load_dotenv())
 *
 * Both sides in one process, as in the guide: the application signs an act JWT
 * (HybridSender + APP_PRIVATE_KEY_PATH), the agent verifies it
 * (OutOfSessionTokenRequest + APP_PUBLIC_KEY_PATH) and requests its token.
 * Prints the guide's numbered steps 1-6; when API_URL is set it adds step 7, a
 * GET to the finance API with the token. Exit code 0 on success, 1 on failure.
 * For the two sides in two processes over HTTPS, see examples/out-of-session/.
 *
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import { HybridSender, OutOfSessionAPICall, OutOfSessionTokenRequest, UserSession, getVendor } from '../src/index.js';
import { getAdapter } from './shared/adapter.js';
import { consoleLogger, loadDotEnv, requireEnv, trustedCa } from './shared/env.js';

const RULE = '='.repeat(60);
/** The agent's endpoint: the act JWT's audience. The guide reads AGENT_ENDPOINT; a default keeps the test runnable with the dev-iam .env. */
const DEFAULT_AGENT_ENDPOINT = 'https://localhost:8443/invoke';

async function testOutOfSessionFlow(): Promise<void> {
  console.log(RULE);
  console.log('dual-auth Out-of-Session Flow Test');
  console.log(RULE);

  const logger = consoleLogger('test-out-of-session');
  const ca = trustedCa();
  const agentEndpoint = process.env.AGENT_ENDPOINT || DEFAULT_AGENT_ENDPOINT;
  let failure = 'Act JWT creation failed';

  try {
    // Part 1: Application creates act JWT
    console.log('\n[APPLICATION SIDE]');
    console.log('1. Simulating authenticated user...');
    const userSession = new UserSession({ userEmail: 'alice@corp.example.com', userName: 'Alice Smith', userId: 'user_12345' });
    console.log(`   ✓ User: ${userSession.userId}`);

    console.log('\n2. Creating signed act JWT...');
    // privateKeyPem takes a path (as in Python) or the PEM text itself.
    const sender = new HybridSender({ privateKeyPem: requireEnv('APP_PRIVATE_KEY_PATH'), logger });
    const appAct = sender.extractActFromSession(userSession);
    const actJwt = await sender.prepareOutOfSessionAct({ act: appAct, agentEndpoint, ttlSeconds: 60 });
    console.log('   ✓ Act JWT created (expires in 60 seconds)');

    // Part 2: Agent receives and verifies JWT
    console.log('\n[AGENT SIDE]');
    console.log('3. Configuring IAM adapter...');
    failure = 'Configuration failed';
    console.log(`   Vendor: ${getVendor()}`);
    const { adapter } = await getAdapter({ ca, logger });
    console.log(`   ✓ Adapter created: ${adapter.constructor.name}`);

    console.log('\n4. Creating out-of-session token request handler...');
    const tokenRequest = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: requireEnv('APP_PUBLIC_KEY_PATH'), logger });
    console.log('   ✓ Handler created');

    console.log('\n5. Verifying act JWT...');
    failure = 'Failed';
    const act = await tokenRequest.receiveAndVerifyActJwt({ actJwt, expectedAudience: agentEndpoint });
    console.log('   ✓ JWT signature verified');
    console.log('   ✓ Act extracted from JWT');

    console.log('\n6. Requesting dual-subject token...');
    const tokenResponse = await tokenRequest.requestToken({ agentId: requireEnv('AGENT_CLIENT_ID'), act, scope: ['finance.read'] });
    console.log('   ✓ Token received successfully');
    console.log(`   Token type: ${tokenResponse.tokenType}`);
    console.log(`   Expires in: ${tokenResponse.expiresIn} seconds`);
    if (tokenResponse.actAssertion) console.log('   ✓ Act assertion included (EntraID hybrid)');

    // 7. (Step 9 of the guide) Call the API with the token, when one is configured.
    const apiUrl = process.env.API_URL;
    if (apiUrl) {
      console.log('\n7. Calling the API with the dual-subject token...');
      failure = 'API call failed';
      const client = new OutOfSessionAPICall({ timeoutMs: 30_000, ca, logger });
      const response = await client.callApi({ method: 'GET', apiUrl, tokenResponse, params: { quarter: 'Q4' } });
      await response.body?.cancel();
      if (response.status !== 200) throw new Error(`API answered HTTP ${response.status}`);
      console.log(`   ✓ API answered HTTP ${response.status}`);
    }
  } catch (error) {
    // The library's messages carry no secret, token or PII: safe to print.
    console.log(`   ✗ ${failure}: ${(error as Error).message}`);
    console.log(`\n${RULE}`);
    console.log('✗ OUT-OF-SESSION FLOW TEST FAILED');
    console.log(RULE);
    throw error;
  }

  console.log(`\n${RULE}`);
  console.log('✓ OUT-OF-SESSION FLOW TEST PASSED');
  console.log(RULE);
}

loadDotEnv();
testOutOfSessionFlow().then(
  () => process.exit(0),
  () => process.exit(1),
);
