/**
 * Human identity: the same session gives the same act in both packages
 * (HybridSender.extract_act_from_session), except that we keep `oid`, which
 * the reference drops although its guide says EntraID needs it in act
 * (docs/differences.md).
 */
import { describe, expect, it } from 'vitest';
import { DualAuthError, HybridSender, UserSession } from '../../src/index.js';
import { ok, pyError, runPython } from './helpers/python.js';

const OID = '11111111-2222-3333-4444-555555555555';

const USER_SESSIONS = [
  { user_email: 'alice@example.com', user_name: 'Alice Example', user_id: 'f1234567-89ab' },
  { user_email: 'alice@example.com' },
  { user_email: 'alice@example.com', user_id: 'kc-user-1' },
];

const DICTS: Array<Record<string, string>> = [
  { email: 'alice@example.com', sub: 'auth0|abc', name: 'Alice' },
  { user_email: 'bob@example.com', user_id: 'u-2', display_name: 'Bob' },
  { mail: 'carol@example.com', uid: '00u1', displayName: 'Carol' },
  { email: 'dave@example.com' },
  { email: 'erin@example.com', sub: 's-1', user_id: 'preferred-user-id' },
];

const OID_DICT = { userPrincipalName: 'frank@example.com', oid: OID, displayName: 'Frank' };

describe('extractActFromSession', () => {
  it('UserSession and session dicts give the same act', async () => {
    const py = await runPython<Record<string, string>>([
      ...USER_SESSIONS.map((user_session) => ({ op: 'extract_act', user_session })),
      ...DICTS.map((session) => ({ op: 'extract_act', session })),
    ]);
    const sender = new HybridSender();
    USER_SESSIONS.forEach((s, i) => {
      const mine = sender.extractActFromSession(new UserSession({ userEmail: s.user_email, userName: s.user_name, userId: s.user_id }));
      expect(mine).toEqual(ok(py[i]));
    });
    DICTS.forEach((d, i) => {
      expect({ input: d, act: sender.extractActFromSession(d) }).toEqual({ input: d, act: ok(py[USER_SESSIONS.length + i]) });
    });
  });

  it('EntraID claims with oid: same act, plus oid in ours (documented difference)', async () => {
    const [py] = await runPython<Record<string, string>>([{ op: 'extract_act', session: OID_DICT }]);
    const theirs = ok(py);
    expect(theirs).toEqual({ sub: OID, email: 'frank@example.com', name: 'Frank' });
    const mine = new HybridSender().extractActFromSession(OID_DICT);
    expect(mine).toEqual({ ...theirs, oid: OID });
  });

  it('the same refusals with the same texts', async () => {
    const py = await runPython([
      { op: 'extract_act', session: { sub: 'no-email' } },
      { op: 'extract_act', session: 'not a session' },
    ]);
    expect(pyError(py[0]).str).toBe('Session must contain email');
    expect(pyError(py[1]).str).toBe('Session must be UserSession or dictionary');
    const sender = new HybridSender();
    expect(() => sender.extractActFromSession({ sub: 'no-email' })).toThrow(DualAuthError);
    expect(() => sender.extractActFromSession({ sub: 'no-email' })).toThrow('Session must contain email');
    expect(() => sender.extractActFromSession('not a session' as never)).toThrow('Session must be UserSession or dictionary');
  });
});
