/**
 * `dual-auth doctor` in-process against a real local IAM: each failure a new
 * user meets first gets its plain message and fix, and nothing secret is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../src/cli/program.js';
import { createDevCertificates } from '../../src/local-iam/certificates.js';
import { startLocalIam, type LocalIam } from '../../src/local-iam/index.js';
import { startTestServer, type TestServer } from '../helpers/https-server.js';
import { captureIo } from './capture.js';

let iam: LocalIam;
let entraid: LocalIam;
let closedPort: string;
let foreign: TestServer;

beforeAll(async () => {
  const certificates = await createDevCertificates();
  iam = await startLocalIam({ vendor: 'keycloak', certificates });
  entraid = await startLocalIam({ vendor: 'entraid', certificates });
  // A port that surely refuses: a server started and stopped.
  const gone = await startLocalIam({ vendor: 'keycloak', certificates });
  closedPort = new URL(gone.tokenUrl).port;
  await gone.close();
  // An HTTPS server whose CA the doctor is not told about.
  foreign = await startTestServer();
});

afterAll(async () => {
  await Promise.all([iam?.close(), entraid?.close(), foreign?.close()]);
});

async function doctor(env: Record<string, string | undefined>, ...args: string[]) {
  // cwd without a .env file: the test controls the whole environment.
  const io = captureIo(env, '/');
  const code = await runCli(['doctor', ...args], io);
  return { code, text: io.all(), io };
}

function expectNoSecrets(text: string, secret: string): void {
  expect(text).not.toContain(secret);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
}

describe('dual-auth doctor', () => {
  it('passes against the local IAM and shows the decoded claims with --request-token', async () => {
    const { code, text } = await doctor(iam.env, '--request-token', '--scope', 'finance.read');
    expect(code).toBe(0);
    expect(text).toContain('✓ configuration: vendor keycloak');
    expect(text).toContain('✓ token URL reachable');
    expect(text).toContain('✓ token request');
    expect(text).toContain('"azp": "finance-agent"');
    expect(text).toContain('"sub": "dual-auth-doctor"');
    expectNoSecrets(text, iam.agent.clientSecret);
  });

  it('--json prints one parseable document with the claims', async () => {
    const { code, io } = await doctor(entraid.env, '--request-token', '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(io.stdoutText());
    expect(doc.ok).toBe(true);
    expect(doc.claims.appid).toBe('finance-agent');
    expect(doc.actAssertionClaims.act.sub).toBe('dual-auth-doctor');
    expectNoSecrets(io.all(), entraid.agent.clientSecret);
  });

  it('a missing variable: names it and says how to set it', async () => {
    const env = { ...iam.env, AGENT_CLIENT_SECRET: undefined };
    const { code, text } = await doctor(env);
    expect(code).toBe(1);
    expect(text).toContain('✗ configuration: The variable AGENT_CLIENT_SECRET is missing or empty');
    expect(text).toContain('Fix: Set AGENT_CLIENT_SECRET in the environment, or in a .env file read with --env-file');
  });

  it('an http:// token URL: explains why HTTPS is required and what to use', async () => {
    const env = { ...iam.env, KEYCLOAK_TOKEN_URL: iam.tokenUrl.replace('https://', 'http://') };
    const { code, text } = await doctor(env);
    expect(code).toBe(1);
    expect(text).toContain('KEYCLOAK_TOKEN_URL does not use HTTPS (it starts with http://)');
    expect(text).toMatch(/Fix: Use the https:\/\/ address of the token endpoint/);
    expectNoSecrets(text, iam.agent.clientSecret);
  });

  it('an unreachable host: connection refused, start the IAM or fix host and port', async () => {
    const env = { ...iam.env, KEYCLOAK_TOKEN_URL: iam.tokenUrl.replace(/:\d+\//, `:${closedPort}/`) };
    const { code, text } = await doctor(env, '--timeout', '3000');
    expect(code).toBe(1);
    expect(text).toContain('✓ configuration');
    expect(text).toContain(`✗ token URL reachable: Nothing accepts connections at 127.0.0.1:${closedPort} (connection refused).`);
    expect(text).toContain('Fix: Start the IAM');
  });

  it('an untrusted certificate: says which CA to trust, never to disable checks', async () => {
    const env = { ...iam.env, KEYCLOAK_TOKEN_URL: `${foreign.origin}/realms/x/protocol/openid-connect/token`, NODE_EXTRA_CA_CERTS: undefined };
    const { code, text } = await doctor(env);
    expect(code).toBe(1);
    expect(text).toContain('is not trusted');
    expect(text).toContain('NODE_EXTRA_CA_CERTS=/path/ca.pem');
    // The error's own hint is shown too, and is in the --json document.
    expect(text).toMatch(/^ {2}Hint: The server's certificate is not signed by a CA this process trusts \([A-Z_]+\)\./m);
    const json = await doctor(env, '--json');
    expect(JSON.parse(json.io.stdoutText()).checks.at(-1).hint).toContain('never turn certificate checks off');
  });

  it('a 401 from the IAM: wrong client credentials, in plain words', async () => {
    const env = { ...iam.env, AGENT_CLIENT_SECRET: 'not-the-right-secret-0123456789abcdef' };
    const { code, text } = await doctor(env, '--request-token');
    expect(code).toBe(1);
    expect(text).toContain('✓ token URL reachable');
    expect(text).toContain("✗ token request: The IAM refused the agent's credentials (HTTP 401).");
    expect(text).toContain('Fix: Check that AGENT_CLIENT_ID and AGENT_CLIENT_SECRET');
    expectNoSecrets(text, 'not-the-right-secret-0123456789abcdef');
  });

  it('an invalid vendor: lists the valid ones', async () => {
    const { code, text } = await doctor({ ...iam.env, DUAL_AUTH_VENDOR: 'ping' });
    expect(code).toBe(1);
    expect(text).toContain('Set DUAL_AUTH_VENDOR to one of: keycloak, auth0, okta, entraid');
  });
});
