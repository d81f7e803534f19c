/**
 * Step 6 of the guide, "Test In-Session Flow": the TypeScript `test_in_session.py`.
 *
 *   npx tsx examples/test-in-session.ts          (reads .env, like load_dotenv())
 *
 * Prints the guide's numbered steps 1-5; when API_URL is set it adds step 6,
 * a GET to the finance API with the token (the guide's Step 9). Exit code 0 on
 * success, 1 on failure. The user is shown by IAM id, not by email (Step 10).
 *
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import { HybridSender, InSessionAPICall, InSessionTokenRequest, UserSession, getVendor } from '../src/index.js';
import { getAdapter } from './shared/adapter.js';
import { consoleLogger, loadDotEnv, requireEnv, trustedCa } from './shared/env.js';

const RULE = '='.repeat(60);

async function testInSessionFlow(): Promise<void> {
  console.log(RULE);
  console.log('dual-auth In-Session Flow Test');
  console.log(RULE);

  const logger = consoleLogger('test-in-session');
  const ca = trustedCa();

  // 1. Simulate authenticated user
  console.log('\n1. Simulating authenticated user...');
  const userSession = new UserSession({ userEmail: 'alice@corp.example.com', userName: 'Alice Smith', userId: 'user_12345' });
  console.log(`   ✓ User: ${userSession.userId}`);

  // 2. Extract act
  console.log('\n2. Extracting human identity (act)...');
  const sender = new HybridSender({ logger });
  const act = sender.extractActFromSession(userSession);
  console.log(`   ✓ Act extracted with fields: [${Object.keys(act).map((key) => `'${key}'`).join(', ')}]`);

  let failure = 'Configuration failed';
  try {
    // 3. Configure adapter
    console.log('\n3. Configuring IAM adapter...');
    console.log(`   Vendor: ${getVendor()}`);
    const { adapter } = await getAdapter({ ca, logger });
    console.log(`   ✓ Adapter created: ${adapter.constructor.name}`);

    // 4. Create token request handler
    console.log('\n4. Creating in-session token request handler...');
    const tokenRequest = new InSessionTokenRequest(adapter, { logger });
    console.log('   ✓ Handler created');

    // 5. Request token
    console.log('\n5. Requesting dual-subject token...');
    failure = 'Token request failed';
    const tokenResponse = await tokenRequest.requestToken({ agentId: requireEnv('AGENT_CLIENT_ID'), act, scope: ['finance.read'] });
    console.log('   ✓ Token received successfully');
    console.log(`   Token type: ${tokenResponse.tokenType}`);
    console.log(`   Expires in: ${tokenResponse.expiresIn} seconds`);
    if (tokenResponse.actAssertion) console.log('   ✓ Act assertion included (EntraID hybrid)');

    // 6. (Step 9 of the guide) Call the API with the token, when one is configured.
    const apiUrl = process.env.API_URL;
    if (apiUrl) {
      console.log('\n6. Calling the API with the dual-subject token...');
      failure = 'API call failed';
      const client = new InSessionAPICall({ timeoutMs: 30_000, ca, logger });
      const response = await client.callApi({ method: 'GET', apiUrl, tokenResponse, params: { quarter: 'Q4' } });
      await response.body?.cancel();
      if (response.status !== 200) throw new Error(`API answered HTTP ${response.status}`);
      console.log(`   ✓ API answered HTTP ${response.status}`);
    }
  } catch (error) {
    // The library's messages carry no secret, token or PII: safe to print.
    console.log(`   ✗ ${failure}: ${(error as Error).message}`);
    console.log(`\n${RULE}`);
    console.log('✗ IN-SESSION FLOW TEST FAILED');
    console.log(RULE);
    throw error;
  }

  console.log(`\n${RULE}`);
  console.log('✓ IN-SESSION FLOW TEST PASSED');
  console.log(RULE);
}

loadDotEnv();
testInSessionFlow().then(
  () => process.exit(0),
  () => process.exit(1),
);
