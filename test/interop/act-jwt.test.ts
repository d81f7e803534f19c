/**
 * Act JWTs both ways between the Python reference and this package:
 * Python HybridSender signs -> our OutOfSessionTokenRequest verifies, ours signs
 * -> Python verifies, and the same bad JWTs give the same verdicts. The EntraID
 * act assertion likewise (Python signs -> we verify; ours -> PyJWT verifies, as
 * a Python resource server does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey, createHmac, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  DualAuthError,
  EntraIDAdapter,
  HybridSender,
  KeycloakAdapter,
  OutOfSessionTokenRequest,
} from '../../src/index.js';
import { startRecordingServer, type RecordingServer } from './helpers/recording-server.js';
import { ok, pyError, runPython, type PyResult } from './helpers/python.js';
import { ACT, AGENT_ID, snakeConfig, writeFixtures, TOKEN_PATHS, type KeyFiles } from './helpers/fixtures.js';

const ENDPOINT = 'https://agent.example.com/invoke';

let server: RecordingServer;
let keys: KeyFiles;
let pyEnv: Record<string, string>;

beforeAll(async () => {
  server = await startRecordingServer();
  keys = writeFixtures(server.caCert);
  pyEnv = { REQUESTS_CA_BUNDLE: keys.caBundle };
});
afterAll(async () => {
  await server?.close();
  keys?.cleanup();
});

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** An unsigned-looking JWT with the given header/payload and an RS256 signature by `privatePem`. */
function rs256(header: object, payload: object, privatePem: string): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = sign('sha256', Buffer.from(input), createPrivateKey(privatePem));
  return `${input}.${b64url(sig)}`;
}

function claims(ttl = 60, extra: object = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: 'application', sub: 'application', aud: ENDPOINT, iat: now, exp: now + ttl, jti: b64url(randomBytes(32)), act: ACT, ...extra };
}

function ourVerifier(publicKeyPath = keys.publicSpki): OutOfSessionTokenRequest {
  const adapter = new KeycloakAdapter(
    { vendor: 'keycloak', tokenUrl: `${server.origin}/unused${TOKEN_PATHS.keycloak}`, clientId: AGENT_ID, clientSecret: 'unused-secret' },
    { ca: server.caCert },
  );
  return new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: publicKeyPath });
}

/** Our verdict on each JWT, with one verifier instance (replay memory is per instance, as in Python). */
async function ourVerdicts(jwts: string[], audience = ENDPOINT, publicKeyPath?: string): Promise<Array<{ ok?: unknown; message?: string; code?: string; name?: string }>> {
  const verifier = ourVerifier(publicKeyPath);
  const out = [];
  for (const actJwt of jwts) {
    try {
      out.push({ ok: await verifier.receiveAndVerifyActJwt({ actJwt, expectedAudience: audience }) });
    } catch (error) {
      expect(error).toBeInstanceOf(DualAuthError);
      const e = error as DualAuthError;
      out.push({ message: e.message, code: e.code, name: e.name });
    }
  }
  return out;
}

async function pyVerdicts(jwts: string[], audience = ENDPOINT, publicKeyPath = keys.publicSpki): Promise<Array<PyResult>> {
  const [r] = await runPython<Array<PyResult>>(
    [{ op: 'verify_act', adapter_config: snakeConfig('keycloak', `${server.origin}/unused`, keys), app_public_key_path: publicKeyPath, act_jwts: jwts, expected_audience: audience }],
    { env: pyEnv },
  );
  return ok(r);
}

describe('act JWT: Python HybridSender signs, we verify', () => {
  it('accepts the Python JWT (PKCS#8 and PKCS#1 key files) and returns the same act', async () => {
    const results = await runPython<string>(
      [
        { op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT, ttl_seconds: 60 },
        { op: 'sign_act', private_key_path: keys.privatePkcs1, act: ACT, agent_endpoint: ENDPOINT, ttl_seconds: 120 },
        { op: 'sign_act', private_key_path: keys.privatePkcs8, act: { sub: 'u-1', email: 'bob@example.com', oid: '00000000-0000-0000-0000-0000000000b0' }, agent_endpoint: ENDPOINT },
      ],
      { env: pyEnv },
    );
    const jwts = results.map((r) => ok(r));
    const verdicts = await ourVerdicts(jwts);
    expect(verdicts[0]).toEqual({ ok: ACT });
    expect(verdicts[1]).toEqual({ ok: ACT });
    expect(verdicts[2]).toEqual({ ok: { sub: 'u-1', email: 'bob@example.com', oid: '00000000-0000-0000-0000-0000000000b0' } });
    // The Python wire shape we must match when we sign.
    expect(decodeProtectedHeader(jwts[0]!)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const c = decodeJwt(jwts[1]!);
    expect(c.exp! - c.iat!).toBe(120);
    expect(c.jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a Python JWT replayed to the same verifier is refused by both, with the same text', async () => {
    const [r] = await runPython<string>([{ op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT }], { env: pyEnv });
    const jwt = ok(r);
    const ours = await ourVerdicts([jwt, jwt]);
    const py = await pyVerdicts([jwt, jwt]);
    expect(ours[0]).toEqual({ ok: ACT });
    expect(ok(py[0])).toEqual(ACT);
    expect(pyError(py[1]).str).toBe('Act JWT replay detected');
    expect(ours[1]).toMatchObject({ message: 'Act JWT replay detected', code: 'ERR_ACT_REPLAY', name: 'ActVerificationError' });
  });
});

describe('out-of-session end to end: a Python application, a TypeScript agent', () => {
  it('the act the Python app signed reaches the IAM in our client assertion, unchanged', async () => {
    const ep = server.endpoint({ status: 200, json: { access_token: 'agent-token' } });
    const [signed] = await runPython<string>([{ op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT }], { env: pyEnv });
    const adapter = new KeycloakAdapter({ vendor: 'keycloak', tokenUrl: `${ep.base}${TOKEN_PATHS.keycloak}`, clientId: AGENT_ID, clientSecret: 'e2e-secret' }, { ca: server.caCert });
    const agent = new OutOfSessionTokenRequest({ adapter, appPublicKeyPath: keys.publicSpki });
    const act = await agent.receiveAndVerifyActJwt({ actJwt: ok(signed), expectedAudience: ENDPOINT });
    const token = await agent.requestToken({ agentId: AGENT_ID, act, scope: ['finance.read'] });
    expect(token.accessToken).toBe('agent-token');
    const [req] = ep.take();
    const assertion = decodeJwt(req!.form.client_assertion!);
    expect(assertion.act).toEqual(ACT);
    expect(assertion.sub).toBe(AGENT_ID);
  });
});

describe('act JWT: we sign, Python verifies', () => {
  it('Python accepts our JWT and returns the same act; header and claims have the Python shape', async () => {
    const sender = new HybridSender({ privateKeyPem: keys.privatePkcs8 });
    const fromPath = await sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT, ttlSeconds: 60 });
    const fromPkcs1 = await new HybridSender({ privateKeyPem: keys.privatePkcs1 }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT, ttlSeconds: 90 });
    const fromPemText = await new HybridSender({ privateKeyPem: keys.privatePem }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT });
    const py = await pyVerdicts([fromPath, fromPkcs1, fromPemText]);
    expect(py.map((r) => ok(r))).toEqual([ACT, ACT, ACT]);

    const [pySigned] = await runPython<string>([{ op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT, ttl_seconds: 60 }], { env: pyEnv });
    const theirs = decodeJwt(ok(pySigned));
    const mine = decodeJwt(fromPath);
    expect(decodeProtectedHeader(fromPath)).toEqual(decodeProtectedHeader(ok(pySigned)));
    const stable = (c: Record<string, unknown>) => ({ ...c, jti: undefined, iat: undefined, exp: undefined });
    expect(stable(mine)).toEqual(stable(theirs));
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    expect(mine.exp! - mine.iat!).toBe(theirs.exp! - theirs.iat!);
    expect(mine.jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('our verifier accepts our own JWT once and refuses the replay, like Python', async () => {
    const jwt = await new HybridSender({ privateKeyPem: keys.privatePkcs8 }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT });
    const py = await pyVerdicts([jwt, jwt]);
    const ours = await ourVerdicts([jwt, jwt]);
    expect(ok(py[0])).toEqual(ACT);
    expect(ours[0]).toEqual({ ok: ACT });
    expect(pyError(py[1]).str).toBe(ours[1]!.message);
  });

  it('the same bad arguments to the sender give the same texts', async () => {
    const py = await runPython(
      [
        { op: 'sign_act', private_key_path: null, act: ACT, agent_endpoint: ENDPOINT },
        { op: 'sign_act', private_key_path: keys.privatePkcs8, act: { email: 'x@example.com' }, agent_endpoint: ENDPOINT },
        { op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: 'http://agent.example.com/invoke' },
        { op: 'sign_act', private_key_path: `${keys.dir}/missing.pem`, act: ACT, agent_endpoint: ENDPOINT },
        { op: 'sign_act', private_key_path: keys.publicSpki, act: ACT, agent_endpoint: ENDPOINT },
      ],
      { env: pyEnv },
    );
    const ours: string[] = [];
    const attempt = async (fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
        ours.push('(no error)');
      } catch (error) {
        expect(error).toBeInstanceOf(DualAuthError);
        ours.push((error as Error).message);
      }
    };
    await attempt(() => new HybridSender().prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT }));
    await attempt(() => new HybridSender({ privateKeyPem: keys.privatePkcs8 }).prepareOutOfSessionAct({ act: { email: 'x@example.com' } as never, agentEndpoint: ENDPOINT }));
    await attempt(() => new HybridSender({ privateKeyPem: keys.privatePkcs8 }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: 'http://agent.example.com/invoke' }));
    await attempt(() => new HybridSender({ privateKeyPem: `${keys.dir}/missing.pem` }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT }));
    await attempt(() => new HybridSender({ privateKeyPem: keys.publicSpki }).prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT }));
    const pyTexts = py.map((r) => pyError(r).str);
    expect(pyTexts).toEqual([
      'HybridSender not configured for out-of-session - initialize with private_key_pem parameter',
      "Act must contain 'sub' field",
      'Agent endpoint must use HTTPS for security',
      'Cannot load private key: FileNotFoundError',
      'Cannot load private key: ValueError',
    ]);
    // Key-loading failures name the Python exception class too (FileNotFoundError, ValueError).
    expect(ours).toEqual(pyTexts);
  });
});

describe('act JWT lifetime (documented difference)', () => {
  it('a ttl outside 10..300 only warns in both; a ttl <= 0 signs an already-expired JWT in Python, ours refuses', async () => {
    const py = await runPython<string>(
      [
        { op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT, ttl_seconds: 5 },
        { op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT, ttl_seconds: 0 },
      ],
      { env: pyEnv },
    );
    const sender = new HybridSender({ privateKeyPem: keys.privatePkcs8 });
    const mine = await sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT, ttlSeconds: 5 });
    const theirs = decodeJwt(ok(py[0]));
    expect(decodeJwt(mine).exp! - decodeJwt(mine).iat!).toBe(theirs.exp! - theirs.iat!);
    const zero = decodeJwt(ok(py[1]));
    expect(zero.exp).toBe(zero.iat);
    await expect(sender.prepareOutOfSessionAct({ act: ACT, agentEndpoint: ENDPOINT, ttlSeconds: 0 })).rejects.toThrow('"ttlSeconds" must be an integer >= 1');
  });
});

describe('act JWT: the same bad tokens get the same verdicts', () => {
  it('expired, wrong audience, wrong key, tampered, replayed, no act.sub', async () => {
    const [pyExpired] = await runPython<string>(
      // ttl -10 only warns in Python: a really expired, really signed JWT.
      [{ op: 'sign_act', private_key_path: keys.privatePkcs8, act: ACT, agent_endpoint: ENDPOINT, ttl_seconds: -10 }],
      { env: pyEnv },
    );
    const good = rs256({ alg: 'RS256', typ: 'JWT' }, claims(), keys.privatePem);
    const [h, , s] = good.split('.') as [string, string, string];
    const tamperedClaims = { ...decodeJwt(good), act: { ...ACT, sub: 'someone-else' } };
    const otherKey = readFileSync(keys.otherPrivate, 'utf8');
    const cases: Array<[string, string, string]> = [
      ['expired (Python-signed)', ok(pyExpired), 'Act JWT expired'],
      ['expired (hand-signed)', rs256({ alg: 'RS256', typ: 'JWT' }, claims(-30), keys.privatePem), 'Act JWT expired'],
      ['wrong audience', rs256({ alg: 'RS256', typ: 'JWT' }, claims(60, { aud: 'https://other.example.com/' }), keys.privatePem), 'Act JWT invalid audience'],
      ['wrong key', rs256({ alg: 'RS256', typ: 'JWT' }, claims(), otherKey), 'Act JWT signature invalid'],
      ['tampered payload', `${h}.${b64url(JSON.stringify(tamperedClaims))}.${s}`, 'Act JWT signature invalid'],
      ['act without sub', rs256({ alg: 'RS256', typ: 'JWT' }, claims(60, { act: { email: 'x@example.com' } }), keys.privatePem), 'Act JWT must contain act.sub'],
      ['no act', rs256({ alg: 'RS256', typ: 'JWT' }, { ...claims(), act: undefined }, keys.privatePem), 'Act JWT must contain act.sub'],
    ];
    const jwts = cases.map((c) => c[1]);
    const py = await pyVerdicts(jwts);
    const ours = await ourVerdicts(jwts);
    cases.forEach(([name, , text], i) => {
      expect({ name, py: pyError(py[i]).str }).toEqual({ name, py: text });
      expect({ name, ours: ours[i]!.message }).toEqual({ name, ours: text });
      expect(ours[i]!.name).toBe('ActVerificationError');
    });
  });

  it('alg none, HS256 keyed with the public key, garbage: both refuse with the same "Act JWT invalid: <class>"', async () => {
    const body = claims();
    const none = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(body))}.`;
    const hsInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(body))}`;
    const hs = `${hsInput}.${b64url(createHmac('sha256', keys.publicPem).update(hsInput).digest())}`;
    const jwts = [none, hs, 'not-a-jwt', `${b64url('{"alg":"RS256"')}.e30.AAAA`];
    const py = await pyVerdicts(jwts);
    const ours = await ourVerdicts(jwts);
    expect(py.map((r) => pyError(r).str)).toEqual([
      'Act JWT invalid: InvalidAlgorithmError',
      'Act JWT invalid: InvalidAlgorithmError',
      'Act JWT invalid: DecodeError',
      'Act JWT invalid: DecodeError',
    ]);
    // We name the PyJWT exception class the reference would report, so the texts match.
    expect(ours.map((v) => v.message)).toEqual(py.map((r) => pyError(r).str));
    for (const verdict of ours) {
      expect(verdict.ok).toBeUndefined();
      expect(verdict).toMatchObject({ name: 'ActVerificationError', code: 'ERR_ACT_INVALID' });
    }
  });
});

describe('act JWT claims the reference does not require', () => {
  it('no exp / no jti: Python accepts (never expires / no replay check), ours refuses (documented difference)', async () => {
    const noExp = rs256({ alg: 'RS256', typ: 'JWT' }, { ...claims(), exp: undefined }, keys.privatePem);
    const noJti = rs256({ alg: 'RS256', typ: 'JWT' }, { ...claims(), jti: undefined }, keys.privatePem);
    const py = await pyVerdicts([noExp, noJti, noJti]);
    expect(py.map((r) => ok(r))).toEqual([ACT, ACT, ACT]); // the same jti-less JWT twice: no replay detected
    const ours = await ourVerdicts([noExp, noJti]);
    expect(ours.map((v) => v.message)).toEqual(['Act JWT invalid: MissingRequiredClaimError', 'Act JWT invalid: MissingRequiredClaimError']);
  });

  it('iat in the future: PyJWT refuses (ImmatureSignatureError); so must we', async () => {
    const future = rs256({ alg: 'RS256', typ: 'JWT' }, claims(60, { iat: Math.floor(Date.now() / 1000) + 3600 }), keys.privatePem);
    const notYet = rs256({ alg: 'RS256', typ: 'JWT' }, claims(60, { nbf: Math.floor(Date.now() / 1000) + 3600 }), keys.privatePem);
    const py = await pyVerdicts([future, notYet]);
    expect(py.map((r) => pyError(r).str)).toEqual(['Act JWT invalid: ImmatureSignatureError', 'Act JWT invalid: ImmatureSignatureError']);
    const ours = await ourVerdicts([future, notYet]);
    expect(ours.map((v) => v.message)).toEqual(py.map((r) => pyError(r).str));
  });
});

describe('EntraID act assertion both ways', () => {
  it('Python EntraIDAdapter signs -> we verify (jose, the app public key); ours signs -> PyJWT verifies', async () => {
    const ep = server.endpoint({ status: 200, json: { access_token: 'agent-token-entraid', token_type: 'Bearer', expires_in: 3599 } });
    const config = snakeConfig('entraid', ep.base, keys);
    const [pyTok] = await runPython<{ act_assertion: string }>(
      [{ op: 'token', vendor: 'entraid', config, agent_id: AGENT_ID, act: { ...ACT, oid: '11111111-2222-3333-4444-555555555555' }, scope: ['ignored'] }],
      { env: pyEnv },
    );
    const pyAssertion = ok(pyTok).act_assertion;
    const verified = await jwtVerify(pyAssertion, createPublicKey(keys.publicPem), { algorithms: ['RS256'], audience: config.act_audience!, issuer: config.app_id! });
    expect(verified.payload.act).toEqual({ ...ACT, oid: '11111111-2222-3333-4444-555555555555' });

    const adapter = new EntraIDAdapter(
      {
        vendor: 'entraid',
        tokenUrl: config.token_url!,
        clientId: config.client_id!,
        clientSecret: config.client_secret!,
        scope: config.scope!,
        appPrivateKeyPath: keys.privatePkcs8,
        appId: config.app_id!,
        actAudience: config.act_audience!,
      },
      { ca: server.caCert },
    );
    const token = await adapter.requestToken({ agentId: AGENT_ID, act: { ...ACT, oid: '11111111-2222-3333-4444-555555555555' }, scope: ['ignored'] });
    const ourAssertion = token.actAssertion!;
    const [pyCheck, pyDecodeOurs, pyDecodeTheirs] = await runPython<Record<string, unknown>>(
      [
        { op: 'verify_assertion', public_key_path: keys.publicSpki, assertion: ourAssertion, audience: config.act_audience },
        { op: 'decode', jwt: ourAssertion },
        { op: 'decode', jwt: pyAssertion },
      ],
      { env: pyEnv },
    );
    expect(ok(pyCheck).act).toEqual({ ...ACT, oid: '11111111-2222-3333-4444-555555555555' });
    const mine = ok(pyDecodeOurs) as { header: object; claims: Record<string, unknown> };
    const theirs = ok(pyDecodeTheirs) as { header: object; claims: Record<string, unknown> };
    expect(mine.header).toEqual(theirs.header);
    const stable = (c: Record<string, unknown>) => ({ ...c, jti: undefined, iat: undefined, exp: undefined });
    expect(stable(mine.claims)).toEqual(stable(theirs.claims));
    expect(Object.keys(mine.claims).sort()).toEqual(Object.keys(theirs.claims).sort());
    expect((mine.claims.exp as number) - (mine.claims.iat as number)).toBe(300);
    // Verified with the key as PEM text too (the resource-server path).
    await expect(jwtVerify(ourAssertion, createPublicKey(keys.publicPem), { algorithms: ['RS256'], audience: config.act_audience! })).resolves.toBeTruthy();
  });

  it('an assertion signed with another key is refused by PyJWT and by jose', async () => {
    const forged = await new SignJWT({ act: ACT })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer('app-7f3c9a1e')
      .setSubject('app-7f3c9a1e')
      .setAudience('https://api.example.com/finance')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(createPrivateKey(readFileSync(keys.otherPrivate, 'utf8')));
    const [py] = await runPython([{ op: 'verify_assertion', public_key_path: keys.publicSpki, assertion: forged, audience: 'https://api.example.com/finance' }], { env: pyEnv });
    expect(pyError(py).type).toBe('InvalidSignatureError');
    await expect(jwtVerify(forged, createPublicKey(keys.publicPem), { algorithms: ['RS256'] })).rejects.toThrow();
  });
});
