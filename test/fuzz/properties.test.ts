/**
 * Property tests (fast-check) over the library's input edges (issue 14): whatever
 * comes in, the only exception is a DualAuthError with a code, no mutated token is
 * accepted, and every case ends in bounded time. Runs are bounded so the whole file
 * stays within ~20 s. A seed that ever fails is kept below as a fixed regression case.
 */
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DualAuthError, HybridSender, KeycloakAdapter, OutOfSessionTokenRequest, UserSession, createDualSubjectVerifier, getConfig } from '../../src/index.js';
import { encodeForm } from '../../src/adapters/base.js';
import { validateAct } from '../../src/domain/act.js';
import { bearerToken } from '../../src/verify/bearer.js';
import { makeSigningKey, now, sign } from '../verify/helpers.js';

/** Bounded runs: each property well under a few seconds. */
const RUNS = { numRuns: 300 } as const;
/** No case may take longer than this (a hang, a catastrophic regular expression). */
const CASE_MS = 1_000;

function expectOnlyDualAuthErrors(fn: () => unknown): void {
  const started = performance.now();
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DualAuthError);
    expect(typeof (error as DualAuthError).code).toBe('string');
  }
  expect(performance.now() - started).toBeLessThan(CASE_MS);
}

async function expectRejectsOnlyWithDualAuthError(pending: () => Promise<unknown>): Promise<'resolved' | 'rejected'> {
  const started = performance.now();
  try {
    await pending();
    return 'resolved';
  } catch (error) {
    expect(error).toBeInstanceOf(DualAuthError);
    return 'rejected';
  } finally {
    expect(performance.now() - started).toBeLessThan(CASE_MS);
  }
}

const CONFIG_KEYS = ['DUAL_AUTH_VENDOR', 'DUAL_AUTH_SECRETS_BACKEND', 'KEYCLOAK_TOKEN_URL', 'AUTH0_TOKEN_URL', 'OKTA_TOKEN_URL', 'ENTRAID_TOKEN_URL', 'AGENT_CLIENT_ID', 'AGENT_CLIENT_SECRET', 'API_AUDIENCE', 'API_SCOPE', 'APP_ID', 'APP_PRIVATE_KEY_PATH'];
const envValue = fc.oneof(fc.string(), fc.constantFrom('keycloak', 'auth0', 'okta', 'entraid', 'env', 'https://iam.example/realms/r/protocol/openid-connect/token', 'http://x', ' ', '/dev/null'));

describe('fuzz: the config loader over arbitrary environments', () => {
  it('returns a config or throws a DualAuthError (env backend only: no cloud SDK is reached)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...CONFIG_KEYS), envValue), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), async (known, other) => {
        const env = { ...other, ...known, DUAL_AUTH_SECRETS_BACKEND: 'env' };
        await expectRejectsOnlyWithDualAuthError(() => getConfig({ env }));
      }),
      RUNS,
    );
  });
});

describe('fuzz: validateAct and UserSession over arbitrary values', () => {
  it('validateAct accepts an object with a non-empty string sub, and throws a DualAuthError for anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ sub: fc.anything(), email: fc.anything() }, { requiredKeys: [] })), (value) => {
        expectOnlyDualAuthErrors(() => validateAct(value));
      }),
      RUNS,
    );
  });

  it('UserSession and extractActFromSession take anything without another kind of exception', () => {
    const sender = new HybridSender();
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (email, name, id) => {
        expectOnlyDualAuthErrors(() => new UserSession(email as string, name as string, id as string));
        expectOnlyDualAuthErrors(() => new UserSession({ userEmail: email, userName: name, userId: id } as never));
        expectOnlyDualAuthErrors(() => sender.extractActFromSession({ email, name, sub: id } as never));
      }),
      RUNS,
    );
  });
});

describe('fuzz: the bearer header parser', () => {
  it('returns a token of base64url/token68 characters, undefined, or throws ERR_TOKEN_INVALID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `Bearer ${s}`), fc.array(fc.string(), { maxLength: 3 })), (header) => {
        const started = performance.now();
        try {
          const token = bearerToken(header);
          if (token !== undefined) expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
        } catch (error) {
          expect((error as DualAuthError).code).toBe('ERR_TOKEN_INVALID');
        }
        expect(performance.now() - started).toBeLessThan(CASE_MS);
      }),
      RUNS,
    );
  });
});

describe('fuzz: the form encoder', () => {
  const corpus = JSON.parse(readFileSync(new URL('./fixtures/urlencode-corpus.json', import.meta.url), 'utf8')) as { cases: Array<{ form: Array<[string, string]>; encoded: string }> };

  it("is byte-equal to Python's urlencode on a corpus made by Python", () => {
    expect(corpus.cases.length).toBeGreaterThan(300);
    // A JS object puts array-index keys ('2') first whatever the insertion order; the adapters' field
    // names are words, so such forms are compared field by field instead.
    const indexKey = (name: string) => /^(0|[1-9]\d*)$/.test(name);
    for (const { form, encoded } of corpus.cases) {
      if (form.some(([name]) => indexKey(name))) {
        expect(form.map(([name, value]) => encodeForm({ [name]: value })).join('&')).toBe(encoded);
      } else {
        expect(encodeForm(Object.fromEntries(form))).toBe(encoded);
      }
    }
  });

  it('round-trips through a form decoder for any string (and never throws)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), { maxKeys: 4 }), (form) => {
        const encoded = encodeForm(form);
        expect(encoded).toMatch(/^[A-Za-z0-9_.~\-+%=&]*$/);
        expect(Object.fromEntries(new URLSearchParams(encoded))).toEqual(form);
      }),
      RUNS,
    );
  });
});

describe('fuzz: the verifier and the act JWT parser over arbitrary and mutated tokens', async () => {
  const key = await makeSigningKey();
  const issuer = 'https://iam.example';
  const verify = createDualSubjectVerifier({ vendor: 'keycloak', issuer, audience: 'api', key: key.publicJwk });
  const valid = await sign({ iss: issuer, aud: 'api', exp: now() + 600, azp: 'agent', act: { sub: 'user-1' } }, key);

  const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appPem = app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const adapter = new KeycloakAdapter({ tokenUrl: 'https://iam.example/realms/r/protocol/openid-connect/token', clientId: 'agent', clientSecret: 'fuzz-client-secret' });
  const receiver = new OutOfSessionTokenRequest({ adapter, appPublicKey: app.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
  const actJwt = await new HybridSender({ privateKeyPem: appPem }).prepareOutOfSessionAct({ act: { sub: 'user-1' }, agentEndpoint: 'https://agent.example/invoke', ttlSeconds: 300 });

  /** One change to a valid token: a character replaced, inserted or removed, or two segments swapped. */
  const mutation = (token: string) =>
    fc.oneof(
      fc.tuple(fc.nat(token.length - 1), fc.string({ minLength: 1, maxLength: 1 })).map(([i, c]) => token.slice(0, i) + c + token.slice(i + 1)),
      fc.tuple(fc.nat(token.length), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => token.slice(0, i) + s + token.slice(i)),
      fc.nat(token.length - 1).map((i) => token.slice(0, i) + token.slice(i + 1)),
      fc.constantFrom(0, 1, 2).map((i) => {
        const parts = token.split('.');
        [parts[i], parts[(i + 1) % 3]] = [parts[(i + 1) % 3] as string, parts[i] as string];
        return parts.join('.');
      }),
    ).filter((mutated) => mutated !== token);

  it('the valid tokens verify (the properties below are not vacuous)', async () => {
    expect((await verify(valid)).human.id).toBe('user-1');
    expect((await receiver.receiveAndVerifyActJwt({ actJwt, expectedAudience: 'https://agent.example/invoke' })).sub).toBe('user-1');
  });

  it('the verifier: an arbitrary string is refused with a DualAuthError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}$/)), async (token) => {
        expect(await expectRejectsOnlyWithDualAuthError(() => verify(token))).toBe('rejected');
      }),
      RUNS,
    );
  });

  it('the verifier: no mutated token is accepted', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(valid), async (token) => {
        expect(await expectRejectsOnlyWithDualAuthError(() => verify(token))).toBe('rejected');
      }),
      RUNS,
    );
  });

  it('the act JWT parser (out-of-session): an arbitrary or mutated act JWT is refused with an ActVerificationError', async () => {
    // A fresh receiver per case: the replay memory must not be what refuses a mutation.
    const fresh = () => new OutOfSessionTokenRequest({ adapter, appPublicKey: app.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), mutation(actJwt)), async (token) => {
        const outcome = await expectRejectsOnlyWithDualAuthError(() => fresh().receiveAndVerifyActJwt({ actJwt: token, expectedAudience: 'https://agent.example/invoke' }));
        expect(outcome).toBe('rejected');
      }),
      { numRuns: 200 },
    );
  });
});
