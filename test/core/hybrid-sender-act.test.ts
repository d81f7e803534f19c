/**
 * HybridSender checks the act it signs as the adapters do (validateAct) and as the receivers do
 * (a blank `sub` is refused): it signed act JWTs with an empty, blank or non-string `sub`, which
 * every receiver then refused (security review L7).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HybridSender } from '../../src/index.js';
import { rejection } from '../helpers/log-audit.js';

const sender = new HybridSender({ privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey });
const agentEndpoint = 'https://agent.example.com/invoke';

describe('HybridSender: the act it signs', () => {
  it.each([
    ['an empty sub', { sub: '' }, "Act claim 'sub' field cannot be empty"],
    ['a blank sub', { sub: '  \t' }, "Act claim 'sub' field cannot be empty"],
    ['a number as sub', { sub: 42 }, "Act claim 'sub' field must be a string"],
    ['no sub (the reference text)', { email: 'x' }, "Act must contain 'sub' field"],
  ])('%s is refused (ERR_INVALID_ACT), for act JWTs and act assertions', async (_name, act, message) => {
    for (const signing of [
      () => sender.prepareOutOfSessionAct({ act: act as never, agentEndpoint }),
      () => sender.prepareActAssertion({ act: act as never, agentId: 'agent', apiAudience: 'https://api.example.com' }),
    ]) {
      const error = await rejection(signing());
      expect([error.code, error.message]).toEqual(['ERR_INVALID_ACT', message]);
    }
  });

  it('a real sub is signed', async () => {
    expect(await sender.prepareOutOfSessionAct({ act: { sub: 'user-1' }, agentEndpoint })).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
