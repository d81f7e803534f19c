/**
 * The application side of the out-of-session flow (Step 7.3): the logged-in
 * user's identity is signed as a short-lived act JWT (RS256, APP_PRIVATE_KEY_PATH)
 * for one agent endpoint and POSTed to that agent over HTTPS.
 *
 *   npx tsx examples/out-of-session/application.ts      (remote-agent.ts must be running)
 *
 * Reads APP_PRIVATE_KEY_PATH, AGENT_ENDPOINT, NODE_EXTRA_CA_CERTS (to trust a
 * private CA). Exit code 0 when the agent answers 200, else 1.
 *
 * An application writes `from 'dual-auth'`; the examples import the source.
 */
import { HybridSender, UserSession, createFetch } from '../../src/index.js';
import { consoleLogger, loadDotEnv, requireEnv, trustedCa } from '../shared/env.js';

loadDotEnv();
const logger = consoleLogger('application');

async function main(): Promise<number> {
  // After the user authenticates (the guide's test user; a real app reads its session)
  const userSession = new UserSession({ userEmail: 'alice@corp.example.com', userName: 'Alice Smith', userId: 'user_12345' });

  // Sender with the application's private key (a path, as in Python, or the PEM text)
  const sender = new HybridSender({ privateKeyPem: requireEnv('APP_PRIVATE_KEY_PATH'), logger });
  const act = sender.extractActFromSession(userSession);

  // Signed act JWT for this one agent, valid 60 seconds
  const agentEndpoint = requireEnv('AGENT_ENDPOINT');
  const actJwt = await sender.prepareOutOfSessionAct({ act, agentEndpoint, ttlSeconds: 60 });

  // Send it over HTTPS. createFetch: the package's fetch (HTTPS only, timeout,
  // private CA through `ca`; certificate checks always on). No retries: a POST
  // carrying a one-time JWT is not replayed.
  const fetch = createFetch({ ca: trustedCa(), timeoutMs: 30_000, retries: 0 });
  const response = await fetch(agentEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ act_jwt: actJwt }),
  });
  const result = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.status === 200) {
    console.log(`Agent task completed: ${JSON.stringify(result)}`);
    return 0;
  }
  console.log(`Agent task failed: ${response.status} ${JSON.stringify(result)}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.log(`Agent task failed: ${error.name}: ${error.message}`);
    process.exit(1);
  },
);
