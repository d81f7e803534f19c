/**
 * One set of option checks (src/options.ts) for every numeric and duration
 * option of every public constructor and call: NaN (`Number(process.env.UNSET)`),
 * Infinity, negative values, non-numbers and, where an integer is due, fractions
 * are refused with ERR_CONFIGURATION naming the option.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  HttpClient,
  HybridSender,
  InSessionAPICall,
  InSessionTokenRequest,
  KeycloakAdapter,
  MemoryReplayCache,
  OutOfSessionAPICall,
  OutOfSessionTokenRequest,
  TokenCache,
  createAdapter,
  createDualSubjectVerifier,
} from '../../src/index.js';
import { startLocalIam } from '../../src/local-iam/index.js';
import { audited, thrown } from '../helpers/log-audit.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUBLIC_PEM = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const PRIVATE_PEM = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const adapter = () => new KeycloakAdapter({ tokenUrl: 'https://kc.example/realms/r/protocol/openid-connect/token', clientId: 'a', clientSecret: 'options-test-secret' });
const verifierOptions = { vendor: 'keycloak', issuer: 'https://kc.example/realms/r', audience: 'api', jwksUri: 'https://kc.example/jwks' } as const;
const entraVerifierOptions = { ...verifierOptions, vendor: 'entraid', actAssertionKey: PUBLIC_PEM } as const;

type Kind = 'nonNegative' | 'positive' | 'positiveInteger' | 'retries';
const TEXT: Record<Kind, string> = {
  nonNegative: 'a finite number >= 0',
  positive: 'a finite number > 0',
  positiveInteger: 'an integer >= 1',
  retries: 'an integer from 0 to 10',
};
const BAD: Record<Kind, unknown[]> = {
  nonNegative: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, '5', null],
  positive: [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, '5', null],
  positiveInteger: [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, '5', null],
  retries: [Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, 11, '5', null],
};

/** [where, option name, kind, build with the value (throws or rejects on a bad one)] */
const OPTIONS: Array<[string, string, Kind, (value: never) => unknown]> = [
  ['HttpClient', 'timeoutMs', 'positive', (v) => new HttpClient({ timeoutMs: v })],
  ['HttpClient', 'deadlineMs', 'positive', (v) => new HttpClient({ deadlineMs: v })],
  ['HttpClient', 'retries', 'retries', (v) => new HttpClient({ retries: v })],
  ['HttpClient', 'backoffMs', 'nonNegative', (v) => new HttpClient({ backoffMs: v })],
  ['HttpClient', 'maxRetryAfterMs', 'nonNegative', (v) => new HttpClient({ maxRetryAfterMs: v })],
  ['HttpClient', 'maxResponseBytes', 'positiveInteger', (v) => new HttpClient({ maxResponseBytes: v })],
  ['KeycloakAdapter', 'timeoutMs', 'positive', (v) => new KeycloakAdapter({ tokenUrl: 'https://kc.example/t', clientId: 'a', clientSecret: 'options-test-secret' }, { timeoutMs: v })],
  ['createAdapter', 'retries', 'retries', (v) => createAdapter({ vendor: 'keycloak', tokenUrl: 'https://kc.example/t', clientId: 'a', clientSecret: 'options-test-secret' }, { retries: v })],
  ['InSessionAPICall', 'backoffMs', 'nonNegative', (v) => new InSessionAPICall({ backoffMs: v })],
  ['InSessionAPICall', 'deadlineMs', 'positive', (v) => new InSessionAPICall({ deadlineMs: v })],
  ['OutOfSessionAPICall', 'maxResponseBytes', 'positiveInteger', (v) => new OutOfSessionAPICall({ maxResponseBytes: v })],
  ['InSessionTokenRequest cache', 'maxEntries', 'positiveInteger', (v) => new InSessionTokenRequest(adapter(), { cache: { maxEntries: v } })],
  ['InSessionTokenRequest cache', 'skewSeconds', 'nonNegative', (v) => new InSessionTokenRequest(adapter(), { cache: { skewSeconds: v } })],
  ['OutOfSessionTokenRequest', 'clockToleranceSeconds', 'nonNegative', (v) => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: PUBLIC_PEM, clockToleranceSeconds: v })],
  ['OutOfSessionTokenRequest', 'maxJwtLength', 'positiveInteger', (v) => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: PUBLIC_PEM, maxJwtLength: v })],
  ['OutOfSessionTokenRequest cache', 'maxEntries', 'positiveInteger', (v) => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: PUBLIC_PEM, cache: { maxEntries: v } })],
  ['OutOfSessionTokenRequest', 'maxLifetimeSeconds', 'positive', (v) => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: PUBLIC_PEM, maxLifetimeSeconds: v })],
  ['MemoryReplayCache', 'maxEntries', 'positiveInteger', (v) => new MemoryReplayCache({ maxEntries: v })],
  ['MemoryReplayCache', 'graceSeconds', 'nonNegative', (v) => new MemoryReplayCache({ graceSeconds: v })],
  ['TokenCache', 'maxEntries', 'positiveInteger', (v) => new TokenCache({ maxEntries: v })],
  ['TokenCache', 'skewSeconds', 'nonNegative', (v) => new TokenCache({ skewSeconds: v })],
  ['createDualSubjectVerifier', 'clockToleranceSeconds', 'nonNegative', (v) => createDualSubjectVerifier({ ...verifierOptions, clockToleranceSeconds: v })],
  ['createDualSubjectVerifier', 'jwksTimeoutMs', 'positive', (v) => createDualSubjectVerifier({ ...verifierOptions, jwksTimeoutMs: v })],
  ['createDualSubjectVerifier', 'jwksCooldownMs', 'nonNegative', (v) => createDualSubjectVerifier({ ...verifierOptions, jwksCooldownMs: v })],
  ['createDualSubjectVerifier', 'jwksCacheMaxAgeMs', 'positive', (v) => createDualSubjectVerifier({ ...verifierOptions, jwksCacheMaxAgeMs: v })],
  ['createDualSubjectVerifier (entraid)', 'actAssertionMaxAgeSeconds', 'positive', (v) => createDualSubjectVerifier({ ...entraVerifierOptions, actAssertionMaxAgeSeconds: v })],
  ['HybridSender.prepareOutOfSessionAct', 'ttlSeconds', 'positiveInteger', (v) => new HybridSender({ privateKeyPem: PRIVATE_PEM }).prepareOutOfSessionAct({ act: { sub: 'u' }, agentEndpoint: 'https://agent.example', ttlSeconds: v })],
  ['startLocalIam', 'accessTokenTtlSeconds', 'positiveInteger', (v) => startLocalIam({ accessTokenTtlSeconds: v })],
];

const cases = OPTIONS.flatMap(([where, name, kind, build]) => BAD[kind].map((value) => [where, name, String(value), kind, build, value] as const));

/** The error a build throws or rejects with; an accepted value fails the test (and anything it started is closed). */
async function failure(build: () => unknown): Promise<Error & { code?: string }> {
  let built: unknown;
  try {
    built = await build();
  } catch (error) {
    return audited(error as Error & { code?: string });
  }
  await (built as { close?: () => Promise<void> })?.close?.();
  throw new Error('the value was accepted');
}

describe('numeric options are checked by one set of rules', () => {
  it.each(cases)('%s: "%s" = %s is refused', async (_where, name, _shown, kind, build, value) => {
    const error = await failure(() => build(value as never));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.code).toBe('ERR_CONFIGURATION');
    expect(error.message).toBe(`"${name}" must be ${TEXT[kind]}`);
  });

  it('a NaN tolerance (Number(process.env.UNSET)) no longer switches off exp checks', () => {
    const error = thrown(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: PUBLIC_PEM, clockToleranceSeconds: Number(process.env.DUAL_AUTH_UNSET_VARIABLE) }));
    expect(error.message).toBe('"clockToleranceSeconds" must be a finite number >= 0');
  });

  it('valid values and absent options are taken', () => {
    expect(new HttpClient({ timeoutMs: 0.5, retries: 0, backoffMs: 0, maxRetryAfterMs: 0, maxResponseBytes: 1 }).timeoutMs).toBe(0.5);
    expect(() => new MemoryReplayCache({ maxEntries: 1 })).not.toThrow();
    expect(() => new TokenCache({ skewSeconds: 0 })).not.toThrow();
    expect(() => createDualSubjectVerifier({ ...verifierOptions, clockToleranceSeconds: 0, jwksCooldownMs: 0 })).not.toThrow();
    expect(() => new OutOfSessionTokenRequest({ adapter: adapter(), appPublicKey: PUBLIC_PEM, clockToleranceSeconds: 0 })).not.toThrow();
  });
});
