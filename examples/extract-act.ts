/**
 * Step 4 of the guide, "Implement Human Identity Extraction": the act claim
 * from the three kinds of session an application has.
 *
 *   npx tsx examples/extract-act.ts
 *
 * Prints only the act's IAM identifier and field names (Step 10: no email or
 * name in output or logs). An application writes `from 'dual-auth'`.
 */
import { decodeJwt } from 'jose';
import { HybridSender, UserSession, type Act } from '../src/index.js';

const sender = new HybridSender(); // in-session: no key needed

function show(label: string, act: Act): void {
  console.log(`${label}: act.sub=${act.sub} fields=[${Object.keys(act).join(', ')}]`);
}

// 4.3 Example 1: a web framework session (Flask's session['user'], express-session's req.session.user, ...)
const sessionUser = { email: 'alice@corp.example.com', name: 'Alice Smith', id: 'user_12345' };
show('UserSession', sender.extractActFromSession(new UserSession({ userEmail: sessionUser.email, userName: sessionUser.name, userId: sessionUser.id })));

// 4.3 Example 2: a plain session object (Django's request.user, a session dict): the same keys as Python
show('session dict', sender.extractActFromSession({ user_email: sessionUser.email, display_name: sessionUser.name, user_id: sessionUser.id }));

// 4.4 Best practice: the OIDC ID token's claims. Its signature was verified at login
// (e.g. by openid-client); here we only read the claims, as the guide's jwt.decode(verify_signature=False).
// A stand-in ID token as an Entra ID login would return it: sub, email, name and the object id `oid`.
const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
const payload = Buffer.from(
  JSON.stringify({ sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', oid: '00000000-0000-0000-66f3-3332eca7ea81', email: sessionUser.email, name: sessionUser.name }),
).toString('base64url');
const claims = decodeJwt(`${header}.${payload}.`);
const act = sender.extractActFromSession(claims);
// For Entra ID the object id travels too: the act assertion carries it.
show('OIDC claims', act);
console.log(`oid kept: ${act.oid === claims.oid}`);
