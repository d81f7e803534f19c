// Spawned by bench/startup.ts: a process that starts, imports its library, asks
// the bench token server for one token (client_secret_jwt with the person in the
// assertion's `act`) and prints its length and the process's CPU time. The parent times spawn to the printed token.
//   dual-auth       the built package (dist/index.js): KeycloakAdapter.requestToken
//   openid-client   openid-client 6: Configuration + ClientSecretJwt + clientCredentialsGrant
// Both trust the bench CA through NODE_EXTRA_CA_CERTS (set by the parent).
// argv: <variant> <token URL> <client id> <client secret> <act JSON>
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [variant, tokenUrl, clientId, clientSecret, actJson] = process.argv.slice(2);
const act = JSON.parse(actJson);
let accessToken;
if (variant === 'dual-auth') {
  const { KeycloakAdapter } = await import(pathToFileURL(resolve(import.meta.dirname, '..', 'dist', 'index.js')).href);
  const adapter = new KeycloakAdapter({ tokenUrl, clientId, clientSecret });
  ({ accessToken } = await adapter.requestToken({ agentId: clientId, act, scope: ['finance.read'] }));
} else {
  const client = await import('openid-client');
  const issuer = tokenUrl.slice(0, tokenUrl.lastIndexOf('/protocol/'));
  const config = new client.Configuration(
    { issuer, token_endpoint: tokenUrl },
    clientId,
    undefined,
    client.ClientSecretJwt(clientSecret, { [client.modifyAssertion]: (_header, payload) => void (payload.act = act) }),
  );
  ({ access_token: accessToken } = await client.clientCredentialsGrant(config, { scope: 'finance.read' }));
}
// The process's whole CPU time so far: Node's own start-up, the import, the request.
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ tokenLength: accessToken.length, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
// Keep-alive sockets would hold the process: the measurement ends at the token.
process.exit(0);
