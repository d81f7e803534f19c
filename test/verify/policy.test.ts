/**
 * The verifier's policy (requiredRoles, requiredScopes, authorize) by what a request gets: each
 * refusal's code, message and status, a callback that throws or answers anything but `true`
 * failing closed, and the options refused at construction with their messages. Issue 16.
 */
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DualAuthError } from '../../src/errors.js';
import { createDualSubjectVerifier, httpStatusFor, type VerifyOptions } from '../../src/verify/index.js';
import { rejection, thrown } from '../helpers/log-audit.js';

const ISSUER = 'https://iam.example.test/realms/r';
const AUDIENCE = 'https://api.example.test';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(): string {
  const t = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'sa', azp: 'agent-1', iat: t, exp: t + 300, act: { sub: 'user-1' }, realm_access: { roles: ['reader', 'writer'] }, scope: 'a.read b.read' };
  const input = `${b64({ alg: 'RS256' })}.${b64(claims)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const verifier = (extra: Partial<VerifyOptions>) => createDualSubjectVerifier({ vendor: 'keycloak', issuer: ISSUER, audience: AUDIENCE, key: publicKey, ...extra });

async function forbidden(extra: Partial<VerifyOptions>, message: string): Promise<DualAuthError> {
  const error = (await rejection(verifier(extra)(token()))) as DualAuthError;
  expect({ code: error.code, message: error.message, status: httpStatusFor(error) }).toEqual({ code: 'ERR_FORBIDDEN', message, status: 403 });
  return error;
}

describe('policy', () => {
  it('every required role and scope must be there', async () => {
    expect((await verifier({ requiredRoles: ['reader', 'writer'], requiredScopes: ['b.read', 'a.read'] })(token())).agent.roles).toEqual(['reader', 'writer']);
    await forbidden({ requiredRoles: ['reader', 'admin'] }, 'Agent lacks a required role');
    await forbidden({ requiredScopes: ['a.read', 'c.write'] }, 'Token lacks a required scope');
    // Roles are not scopes.
    await forbidden({ requiredScopes: ['reader'] }, 'Token lacks a required scope');
  });

  it('authorize: only `true` allows; a throw fails closed (its own DualAuthError kept)', async () => {
    for (const answer of [false, 1, 'yes', undefined, null]) {
      await forbidden({ authorize: () => answer as boolean }, 'Agent may not act for this user here');
    }
    expect((await verifier({ authorize: async () => true })(token())).human.id).toBe('user-1');
    const boom = new Error('db down');
    const error = await forbidden({ authorize: () => { throw boom; } }, 'Authorization callback failed');
    expect(error.cause).toBe(boom);
    const own = new DualAuthError('Not on weekends', 'ERR_FORBIDDEN');
    expect(await rejection(verifier({ authorize: async () => { throw own; } })(token()))).toBe(own);
  });

  it('the roles and scopes are checked before the callback, which is not called for a refused token', async () => {
    let calls = 0;
    await forbidden({ requiredRoles: ['admin'], authorize: () => { calls++; return true; } }, 'Agent lacks a required role');
    expect(calls).toBe(0);
  });

  it('options refused at construction', () => {
    for (const [extra, message] of [
      [{ requiredRoles: 'reader' }, 'requiredRoles must be an array of non-empty strings'],
      [{ requiredRoles: [''] }, 'requiredRoles must be an array of non-empty strings'],
      [{ requiredScopes: [1] }, 'requiredScopes must be an array of non-empty strings'],
      [{ authorize: 'yes' }, 'authorize must be a function'],
    ] as const) {
      const error = thrown(() => verifier(extra as unknown as Partial<VerifyOptions>));
      expect({ code: error.code, message: error.message }).toEqual({ code: 'ERR_CONFIGURATION', message });
    }
    // Empty lists are no policy.
    expect(() => verifier({ requiredRoles: [], requiredScopes: [] })).not.toThrow();
  });
});
