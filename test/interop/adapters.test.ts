/**
 * Same configuration, same bytes on the wire: for every vendor, the Python
 * reference and this package send their token request to one recording HTTPS
 * server; the form fields and values (all but the assertion's jti, iat, exp and
 * signature), the decoded assertion header and claims, and the Content-Type /
 * Accept headers must be equal. The parsed TokenResponse must be equal too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  Auth0Adapter,
  EntraIDAdapter,
  InSessionTokenRequest,
  KeycloakAdapter,
  OktaAdapter,
  createAdapter,
  type BaseAdapter,
} from '../../src/index.js';
import { startRecordingServer, type Endpoint, type RecordedRequest, type RecordingServer, type ScriptedResponse } from './helpers/recording-server.js';
import { ok, runPython, type PyResult } from './helpers/python.js';
import { ACT, AGENT_ID, SNAKE_TO_CAMEL, VENDORS, snakeConfig, writeFixtures, type KeyFiles, type Vendor } from './helpers/fixtures.js';

interface PyToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  act_assertion: string | null;
  repr: string;
}

const SCOPE = ['finance.read', 'finance.write'];
const ACT_WITH_OID = { ...ACT, oid: '11111111-2222-3333-4444-555555555555' };

/** The answers each vendor's endpoint gets: bare (defaults apply) and full. */
const ANSWERS: Record<string, ScriptedResponse> = {
  bare: { status: 200, json: { access_token: 'at-bare' } },
  full: { status: 200, json: { access_token: 'at-full', token_type: 'bearer', expires_in: 120, scope: 'finance.read' } },
};

interface Case {
  id: string;
  vendor: Vendor;
  answer: keyof typeof ANSWERS;
  via: 'adapter' | 'insession';
  act: { sub: string } & Record<string, string>;
  /** Extra Python config keys (e.g. Keycloak's explicit audience). */
  extra?: Record<string, string>;
  ep?: Endpoint;
  py?: PyResult<PyToken>;
  pyRequests?: RecordedRequest[];
}

const CASES: Case[] = [
  ...VENDORS.flatMap((vendor) => [
    { id: `${vendor}/bare`, vendor, answer: 'bare' as const, via: 'adapter' as const, act: ACT },
    { id: `${vendor}/full`, vendor, answer: 'full' as const, via: 'adapter' as const, act: ACT_WITH_OID },
    { id: `${vendor}/in-session`, vendor, answer: 'bare' as const, via: 'insession' as const, act: ACT },
  ]),
  { id: 'keycloak/explicit-audience', vendor: 'keycloak', answer: 'bare', via: 'adapter', act: ACT, extra: { audience: 'https://kc.example.com/realms/other' } },
];

let server: RecordingServer;
let keys: KeyFiles;

beforeAll(async () => {
  server = await startRecordingServer();
  keys = writeFixtures(server.caCert);
  for (const c of CASES) c.ep = server.endpoint(ANSWERS[c.answer]!);
  const results = await runPython<PyToken>(
    CASES.map((c) => ({
      op: 'token',
      via: c.via,
      vendor: c.vendor,
      config: { ...snakeConfig(c.vendor, c.ep!.base, keys), ...c.extra },
      agent_id: AGENT_ID,
      act: c.act,
      scope: SCOPE,
    })),
    { env: { REQUESTS_CA_BUNDLE: keys.caBundle } },
  );
  CASES.forEach((c, i) => {
    c.py = results[i];
    c.pyRequests = c.ep!.take();
  });
});
afterAll(async () => {
  await server?.close();
  keys?.cleanup();
});

function camel(vendor: Vendor, snake: Record<string, string>): Record<string, string> {
  return { vendor, ...Object.fromEntries(Object.entries(snake).map(([k, v]) => [SNAKE_TO_CAMEL[k] ?? k, v])) };
}

const CLASSES = { keycloak: KeycloakAdapter, auth0: Auth0Adapter, okta: OktaAdapter, entraid: EntraIDAdapter } as const;

async function ours(c: Case, style: 'camel' | 'snake' | 'factory'): Promise<{ token: Awaited<ReturnType<BaseAdapter['requestToken']>>; requests: RecordedRequest[] }> {
  const snake = { ...snakeConfig(c.vendor, c.ep!.base, keys), ...c.extra };
  const options = { ca: server.caCert };
  let adapter: BaseAdapter;
  if (style === 'factory') adapter = createAdapter(camel(c.vendor, snake) as never, options);
  else if (style === 'snake') adapter = new CLASSES[c.vendor](snake as never, options);
  else adapter = new CLASSES[c.vendor](camel(c.vendor, snake) as never, options);
  const token =
    c.via === 'insession'
      ? await new InSessionTokenRequest(adapter).requestToken({ agentId: AGENT_ID, act: c.act, scope: SCOPE })
      : await adapter.requestToken({ agentId: AGENT_ID, act: c.act, scope: SCOPE });
  return { token, requests: c.ep!.take() };
}

/** Everything of a request that must match, with the per-request random parts taken out. */
function comparable(req: RecordedRequest) {
  const form = { ...req.form };
  // The raw body with the assertion cut out: same field order, same percent-encoding (Python's quote_plus).
  const rawBody = form.client_assertion ? req.body.replace(encodeURIComponent(form.client_assertion), '<jwt>') : req.body;
  let assertion: { header: unknown; claims: Record<string, unknown>; lifetime: number; jti: unknown } | undefined;
  if (form.client_assertion) {
    const claims = decodeJwt(form.client_assertion) as Record<string, unknown>;
    assertion = {
      header: decodeProtectedHeader(form.client_assertion),
      claims: { ...claims, jti: undefined, iat: undefined, exp: undefined },
      lifetime: (claims.exp as number) - (claims.iat as number),
      jti: typeof claims.jti === 'string' && /^[A-Za-z0-9_-]{43}$/.test(claims.jti),
    };
    form.client_assertion = '<jwt>';
  }
  return {
    method: req.method,
    path: req.path,
    contentType: req.headers['content-type'],
    accept: req.headers['accept'],
    formKeys: Object.keys(req.form).sort(),
    rawBody,
    form,
    assertion,
  };
}

function tokenFields(t: { accessToken: string; tokenType: string; expiresIn: number; scope: string; actAssertion?: string | undefined | null }) {
  return { accessToken: t.accessToken, tokenType: t.tokenType, expiresIn: t.expiresIn, scope: t.scope, hasActAssertion: Boolean(t.actAssertion) };
}

function pyTokenFields(t: PyToken) {
  return { accessToken: t.access_token, tokenType: t.token_type, expiresIn: t.expires_in, scope: t.scope, hasActAssertion: Boolean(t.act_assertion) };
}

describe.each(CASES.map((c) => [c.id, c] as const))('token request %s', (_id, c) => {
  it('Python sent exactly one request and got a token', () => {
    expect(c.pyRequests).toHaveLength(1);
    ok(c.py);
  });

  // The wrapper adds nothing on the wire: one config style is enough for it.
  const styles = c.via === 'insession' ? (['camel'] as const) : (['camel', 'snake', 'factory'] as const);
  it.each(styles)('ours (%s config) sends the same request and parses the same TokenResponse', async (style) => {
    const { token, requests } = await ours(c, style);
    expect(requests).toHaveLength(1);
    expect(comparable(requests[0]!)).toEqual(comparable(c.pyRequests![0]!));
    expect(tokenFields(token)).toEqual(pyTokenFields(ok(c.py)));
    // The printable form is Python's repr, token and assertion redacted.
    expect(String(token)).toBe(ok(c.py).repr);
    expect(String(token)).not.toContain(token.accessToken);
  });
});

describe('wire details pinned to the reference', () => {
  it('assertion: HS256 JWT, iss = sub = agent, 300 s, 43-char jti; aud per vendor', () => {
    const aud = (id: string) => decodeJwt(CASES.find((c) => c.id === id)!.pyRequests![0]!.form.client_assertion!).aud;
    const base = (id: string) => CASES.find((c) => c.id === id)!.ep!.base;
    expect(aud('keycloak/bare')).toBe(`${base('keycloak/bare')}/realms/dual-auth`);
    expect(aud('keycloak/explicit-audience')).toBe('https://kc.example.com/realms/other');
    expect(aud('auth0/bare')).toBe(`${base('auth0/bare')}/`);
    expect(aud('okta/bare')).toBe(`${base('okta/bare')}/oauth2/aus1a2b3c4d5e6f7g8h9`);
    const kc = comparable(CASES[0]!.pyRequests![0]!);
    expect(kc.assertion).toMatchObject({ header: { alg: 'HS256', typ: 'JWT' }, lifetime: 300, jti: true });
    expect(kc.assertion!.claims).toMatchObject({ iss: AGENT_ID, sub: AGENT_ID, act: ACT });
  });

  it('EntraID: client_secret_post, no assertion, configured scope, Accept left to the client library', () => {
    const req = comparable(CASES.find((c) => c.id === 'entraid/bare')!.pyRequests![0]!);
    expect(req.formKeys).toEqual(['client_id', 'client_secret', 'grant_type', 'scope']);
    expect(req.form.scope).toBe('api://finance-api/.default');
    expect(req.assertion).toBeUndefined();
    // requests adds "Accept: */*" when the adapter sets none; so must we.
    expect(req.accept).toBe('*/*');
  });
});
