/**
 * What a verification answers when the IAM's JWKS endpoint cannot give keys: its HTTP status, a
 * 200 that is not a key set, nothing listening. Each is ERR_JWKS_UNAVAILABLE (503, worth a retry)
 * with a message saying which; never a 401 that would blame the token. A real HTTPS server. Issue 16.
 */
import { createServer as createNetServer } from 'node:net';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevCertificates, type DevCertificates } from '../../src/local-iam/certificates.js';
import { bearerErrorResponse, createDualSubjectVerifier, httpStatusFor } from '../../src/verify/index.js';
import { rejection } from '../helpers/log-audit.js';
import { closeServer, listen, makeSigningKey, now, sign, type SigningKey } from './helpers.js';

const AUDIENCE = 'https://api.example.test/jwks-answers';
let certs: DevCertificates;
let server: Server;
let origin: string;
let key: SigningKey;
let token: string;
/** What the server answers at /jwks: status and body. */
let answer: { status: number; body: string } = { status: 200, body: '{"keys":[]}' };

beforeAll(async () => {
  certs = await createDevCertificates();
  key = await makeSigningKey('RS256');
  server = createServer({ key: certs.key, cert: certs.cert }, (_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await listen(server);
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const t = now();
  token = await sign({ iss: origin, aud: AUDIENCE, sub: 'sa', azp: 'agent-1', iat: t, exp: t + 300, act: { sub: 'user-1' } }, key);
});
afterAll(async () => server && closeServer(server));

const verifier = (jwksUri: string) => createDualSubjectVerifier({ vendor: 'keycloak', issuer: origin, audience: AUDIENCE, jwksUri, ca: certs.caCert, jwksTimeoutMs: 2_000 });

async function unavailable(jwksUri: string, message: string): Promise<void> {
  const error = await rejection(verifier(jwksUri)(token));
  expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({ code: 'ERR_JWKS_UNAVAILABLE', message, status: 503 });
  expect(bearerErrorResponse(error)).toEqual({ status: 503, headers: { 'retry-after': '5' }, body: { error: 'temporarily_unavailable', error_description: message } });
}

describe('the JWKS endpoint cannot give keys', () => {
  it('an HTTP error status: named in the message', async () => {
    answer = { status: 500, body: 'oops' };
    await unavailable(`${origin}/jwks`, 'JWKS endpoint answered HTTP 500');
    answer = { status: 404, body: '{}' };
    await unavailable(`${origin}/jwks`, 'JWKS endpoint answered HTTP 404');
  });

  it('a 200 that is not a key set (a proxy\'s page, keys not a list of objects)', async () => {
    for (const body of ['<html>login</html>', '{"keys":"x"}', '{"keys":[1]}', '{"keys":[null]}', '[]', 'null']) {
      answer = { status: 200, body };
      await unavailable(`${origin}/jwks`, 'JWKS endpoint answered something that is not a key set');
    }
  });

  it('nothing listening', async () => {
    const closed = createNetServer();
    await listen(closed);
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await unavailable(`https://127.0.0.1:${port}/jwks`, 'JWKS could not be fetched');
  });

  it('a key set without the token\'s key is the token\'s fault (401), not the endpoint\'s', async () => {
    answer = { status: 200, body: JSON.stringify({ keys: [] }) };
    const error = await rejection(verifier(`${origin}/jwks`)(token));
    expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({
      code: 'ERR_TOKEN_INVALID',
      message: 'Access token is signed with a key the issuer does not publish',
      status: 401,
    });
  });
});
