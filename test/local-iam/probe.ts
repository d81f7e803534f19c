import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { randomBytes } from 'node:crypto';
import { Agent, fetch } from 'undici';
import { startLocalIam } from '../../src/local-iam/index.js';

for (const vendor of ['keycloak', 'auth0', 'okta', 'entraid'] as const) {
  const t0 = Date.now();
  const iam = await startLocalIam({ vendor, logger: { warn: (o) => console.log('WARN', o), error: (o) => console.log('ERR', o) } });
  console.log(vendor, 'started in', Date.now() - t0, 'ms', iam.tokenUrl);
  const dispatcher = new Agent({ connect: { ca: iam.caCert } });
  const disc = await fetch(iam.discoveryUrl, { dispatcher });
  const d: any = await disc.json();
  console.log(' discovery', disc.status, d.issuer, d.token_endpoint, d.jwks_uri);
  const now = Math.floor(Date.now() / 1000);
  const aud = vendor === 'keycloak' ? iam.tokenUrl.split('/protocol/')[0] : vendor === 'auth0' ? iam.tokenUrl.split('/oauth/')[0] + '/' : iam.issuer;
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (vendor === 'entraid') {
    body.set('client_id', iam.agent.clientId); body.set('client_secret', iam.agent.clientSecret); body.set('scope', iam.env.API_SCOPE!);
  } else {
    const assertion = await new SignJWT({ act: { sub: 'user_12345', email: 'a@b.c' }, jti: randomBytes(32).toString('base64url') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(iam.agent.clientId).setSubject(iam.agent.clientId)
      .setAudience(aud).setIssuedAt(now).setExpirationTime(now + 300).sign(new TextEncoder().encode(iam.agent.clientSecret));
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', assertion);
    if (vendor === 'auth0') { body.set('client_id', iam.agent.clientId); body.set('audience', iam.apiAudience); }
    else body.set('scope', 'finance.read');
  }
  const res = await fetch(iam.tokenUrl, { method: 'POST', body, dispatcher, headers: { accept: 'application/json' } });
  const j: any = await res.json();
  console.log(' token', res.status, j.error, j.error_description, j.token_type, j.expires_in, j.scope);
  if (j.access_token) console.log(' header', decodeProtectedHeader(j.access_token), '\n claims', decodeJwt(j.access_token));
  await iam.close();
}
