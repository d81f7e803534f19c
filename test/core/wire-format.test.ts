/**
 * The bytes on the wire, without Python: the token request body of every vendor (field
 * order, the percent-encoding of every value as Python's urlencode/quote_plus writes it,
 * scopes joined by a space) and the JWTs that travel with it (header and claims text as
 * PyJWT writes it, `jti` present). The expected strings were recorded from the Python
 * reference (dual-auth 1.0.1, through test/interop/py/driver.py) for these same inputs;
 * `npm run test:interop` keeps comparing the two packages live.
 *
 * The inputs are chosen to need encoding: ':', '/', '?', '&', '=', '+', '%', '@', '*'
 * (which URLSearchParams leaves raw), '~' (which it escapes), spaces and non-ASCII.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth0Adapter, EntraIDAdapter, HybridSender, KeycloakAdapter, OktaAdapter, type BaseAdapter } from '../../src/index.js';
import { markSensitive } from '../helpers/log-audit.js';
import { json, startTestServer, type TestServer } from '../helpers/https-server.js';

const AGENT = 'agent:finance bot*~';
const SCOPE = ['finance.read', 'api://finance/write*', 'a~b'];
const ACT = { sub: 'user 1/ü', email: 'alice@example.com' };
const SECRET = 'p@ss w/rd+&=*~%';
markSensitive(SECRET, ACT.email);

/** The act as PyJWT writes it inside a payload: compact, non-ASCII escaped. */
const ACT_JSON = '{"sub":"user 1/\\u00fc","email":"alice@example.com"}';
const ASSERTION_TYPE = 'urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer';
/** A jti as the reference makes it: 32 random bytes, base64url (43 characters). */
const JTI = /^[A-Za-z0-9_-]{43}$/;

const dir = mkdtempSync(join(tmpdir(), 'dual-auth-wire-'));
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const appKeyPath = join(dir, 'app-private-key.pem');
writeFileSync(appKeyPath, appKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((_, res) => json(res, 200, { access_token: 'wire-access-token' }));
  markSensitive('wire-access-token');
});
afterAll(() => server.close());

interface VendorCase {
  vendor: string;
  make(): BaseAdapter;
  /** The body with the client assertion replaced by `<jwt>`. */
  body: string;
  accept: string;
  /** The client assertion's `aud` (undefined: the vendor sends none). */
  assertionAudience?: () => string;
}

const VENDORS: VendorCase[] = [
  {
    vendor: 'keycloak',
    make: () => new KeycloakAdapter({ tokenUrl: server.url('/realms/dual-auth/protocol/openid-connect/token'), clientId: AGENT, clientSecret: SECRET }, { ca: server.caCert }),
    body: `grant_type=client_credentials&scope=finance.read+api%3A%2F%2Ffinance%2Fwrite%2A+a~b&client_assertion_type=${ASSERTION_TYPE}&client_assertion=<jwt>`,
    accept: 'application/json',
    assertionAudience: () => server.url('/realms/dual-auth'),
  },
  {
    vendor: 'auth0',
    make: () =>
      new Auth0Adapter({ tokenUrl: server.url('/oauth/token'), clientId: 'configured', clientSecret: SECRET, audience: 'https://api.example.com/finance?x=1&y=2' }, { ca: server.caCert }),
    body:
      'grant_type=client_credentials&client_id=agent%3Afinance+bot%2A~&audience=https%3A%2F%2Fapi.example.com%2Ffinance%3Fx%3D1%26y%3D2' +
      `&client_assertion_type=${ASSERTION_TYPE}&client_assertion=<jwt>`,
    accept: 'application/json',
    assertionAudience: () => server.url('/'),
  },
  {
    vendor: 'okta',
    make: () => new OktaAdapter({ tokenUrl: server.url('/oauth2/aus1a2b3c4d5e6f7g8h9/v1/token'), clientId: AGENT, clientSecret: SECRET, audience: 'api://default' }, { ca: server.caCert }),
    body: `grant_type=client_credentials&scope=finance.read+api%3A%2F%2Ffinance%2Fwrite%2A+a~b&client_assertion_type=${ASSERTION_TYPE}&client_assertion=<jwt>`,
    accept: 'application/json',
    assertionAudience: () => server.url('/oauth2/aus1a2b3c4d5e6f7g8h9'),
  },
  {
    vendor: 'entraid',
    make: () =>
      new EntraIDAdapter(
        {
          tokenUrl: server.url('/0b1c2d3e-tenant/oauth2/v2.0/token'),
          clientId: 'entra agent/1',
          clientSecret: SECRET,
          scope: 'api://finance-api/.default',
          appPrivateKeyPath: appKeyPath,
          appId: 'app-7f3c9a1e',
          actAudience: 'https://api.example.com/finance',
        },
        { ca: server.caCert },
      ),
    body: 'grant_type=client_credentials&client_id=entra+agent%2F1&client_secret=p%40ss+w%2Frd%2B%26%3D%2A~%25&scope=api%3A%2F%2Ffinance-api%2F.default',
    accept: '*/*',
  },
];

/** Header and payload of a compact JWS as the exact JSON text that was signed. */
function jwtText(jwt: string): { header: string; payload: string; claims: Record<string, unknown> } {
  const [header = '', payload = ''] = jwt.split('.');
  const text = (part: string) => Buffer.from(part, 'base64url').toString('utf8');
  return { header: text(header), payload: text(payload), claims: JSON.parse(text(payload)) as Record<string, unknown> };
}

/**
 * The payload text the reference signs: claims in its order (iss, sub, aud, exp, iat, jti, act), compact.
 * exp, iat and jti come from the token itself (they change per request) and are checked apart.
 */
function expectedPayload(iss: string, aud: string, claims: Record<string, unknown>): string {
  return `{"iss":${JSON.stringify(iss)},"sub":${JSON.stringify(iss)},"aud":${JSON.stringify(aud)},"exp":${claims.exp},"iat":${claims.iat},"jti":${JSON.stringify(claims.jti)},"act":${ACT_JSON}}`;
}

describe.each(VENDORS)('$vendor token request, byte for byte', ({ make, body, accept, assertionAudience }) => {
  it('the body: field order, every value percent-encoded as quote_plus, scopes joined by a space', async () => {
    const token = await make().requestToken({ agentId: AGENT, act: ACT, scope: SCOPE });
    markSensitive(token.actAssertion);
    const request = server.requests.at(-1)!;
    const assertion = /(?:^|&)client_assertion=([^&]*)/.exec(request.body)?.[1];
    markSensitive(assertion);
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.accept).toBe(accept);
    expect(assertion === undefined ? request.body : request.body.replace(assertion, '<jwt>')).toBe(body);
  });

  if (assertionAudience) {
    it('the client assertion: header and claims text as PyJWT writes them, 300 s, a jti', async () => {
      await make().requestToken({ agentId: AGENT, act: ACT, scope: SCOPE });
      const assertion = /(?:^|&)client_assertion=([^&]*)/.exec(server.requests.at(-1)!.body)![1]!;
      markSensitive(assertion);
      const { header, payload, claims } = jwtText(assertion);
      expect(header).toBe('{"alg":"HS256","typ":"JWT"}');
      expect(claims.jti).toMatch(JTI);
      expect((claims.exp as number) - (claims.iat as number)).toBe(300);
      expect(payload).toBe(expectedPayload(AGENT, assertionAudience(), claims));
    });
  } else {
    it('the act assertion (X-Act-Assertion): header and claims text as PyJWT writes them, 300 s, a jti', async () => {
      const token = await make().requestToken({ agentId: AGENT, act: ACT, scope: SCOPE });
      markSensitive(token.actAssertion);
      const { header, payload, claims } = jwtText(token.actAssertion!);
      expect(header).toBe('{"alg":"RS256","typ":"JWT"}');
      expect(claims.jti).toMatch(JTI);
      expect((claims.exp as number) - (claims.iat as number)).toBe(300);
      expect(payload).toBe(expectedPayload('app-7f3c9a1e', 'https://api.example.com/finance', claims));
    });
  }
});

describe('out-of-session act JWT (HybridSender), byte for byte', () => {
  it('header and claims text as PyJWT writes them, the ttl asked for, a jti', async () => {
    const jwt = await new HybridSender({ privateKey: appKeys.privateKey }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: 'https://agent.example.com/invoke?x=1', ttlSeconds: 60 });
    markSensitive(jwt);
    const { header, payload, claims } = jwtText(jwt);
    expect(header).toBe('{"alg":"RS256","typ":"JWT"}');
    expect(claims.jti).toMatch(JTI);
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    expect(payload).toBe(expectedPayload('application', 'https://agent.example.com/invoke?x=1', claims));
  });
});
