// An action for bench/load-check.mjs: the first use of the package after its import,
// chosen by FIRST_USE, so that scripts/check-package.mjs can see what it loads.
//   verify-pem     a token verified with a PEM key (node:crypto only: no jose)
//   verify-jwks    a verification that fetches a JWKS (jose's key set: jose loads)
//   token-request  a token request (undici's Agent and request modules, not all of undici)
// Nothing listens on the port used: the network actions end in a connection failure,
// after the modules a real request needs are loaded.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:net';

async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

export default async function firstUse(dualAuth) {
  switch (process.env.FIRST_USE) {
    case 'verify-pem': {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ iss: 'https://iam.test', aud: 'api', azp: 'agent', exp: now + 60, act: { sub: 'person' } })}`;
      const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      const verify = dualAuth.createDualSubjectVerifier({ vendor: 'keycloak', issuer: 'https://iam.test', audience: 'api', key: publicKey.export({ type: 'spki', format: 'pem' }) });
      return (await verify(token)).human.id;
    }
    case 'verify-jwks': {
      const verify = dualAuth.createDualSubjectVerifier({ vendor: 'keycloak', issuer: 'https://iam.test', audience: 'api', jwksUri: `https://127.0.0.1:${await closedPort()}/jwks`, jwksMaxStaleMs: 0 });
      const input = `${b64({ alg: 'RS256', kid: 'k' })}.${b64({ iss: 'https://iam.test' })}`;
      return verify(`${input}.c2ln`).then(() => 'verified', (error) => error.code);
    }
    case 'token-request': {
      const adapter = new dualAuth.KeycloakAdapter(
        { tokenUrl: `https://127.0.0.1:${await closedPort()}/realms/r/protocol/openid-connect/token`, clientId: 'agent', clientSecret: 'first-use-secret-0123456789' },
        { retries: 0 },
      );
      return adapter.requestToken({ agentId: 'agent', act: { sub: 'person' }, scope: ['read'] }).then(() => 'issued', (error) => error.code);
    }
    default:
      throw new Error(`FIRST_USE must be verify-pem, verify-jwks or token-request, not ${process.env.FIRST_USE}`);
  }
}
