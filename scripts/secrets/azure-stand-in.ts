/**
 * Azure Key Vault STAND-IN (not Microsoft's code): an HTTPS server for the
 * Key Vault secrets REST calls the backend and its tests make (set and get a
 * secret, api-version 7.x), with Key Vault's challenge-based bearer auth, plus an
 * App Service-style managed identity token endpoint, so that the official
 * DefaultAzureCredential (IDENTITY_ENDPOINT + IDENTITY_HEADER) and SecretClient
 * run unchanged against it. Built from the Key Vault REST API documentation.
 * Why a stand-in: Lowkey Vault (com.github.nagyesta.lowkey-vault:lowkey-vault-app)
 * is not served by the Maven Central reachable here (no metadata, 3.4.33 not found),
 * and no Key Vault emulator is published on npm or PyPI.
 *
 * Env: TLS_CERT_FILE, TLS_KEY_FILE (PEM), IDENTITY_HEADERS = JSON {header: principal}.
 * A secret tagged `access: denied` answers 403 Forbidden to every principal but `admin`.
 * Run: node --import tsx scripts/secrets/azure-stand-in.ts  (prints {"port":N} when ready)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';

const identities = JSON.parse(process.env.IDENTITY_HEADERS ?? '{}') as Record<string, string>;
const tokens = new Map<string, string>(); // access token -> principal
interface Version {
  id: string;
  value: string;
  contentType?: string;
  tags: Record<string, string>;
}
const secrets = new Map<string, Version[]>();

const server = createServer({ cert: readFileSync(process.env.TLS_CERT_FILE!), key: readFileSync(process.env.TLS_KEY_FILE!) }, (req, res) => {
  handle(req, res).catch(() => send(res, 500, { error: { code: 'InternalError', message: 'stand-in failure' } }));
});

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://stand-in');
  const body = await readBody(req);

  // App Service managed identity endpoint (api-version 2019-08-01).
  if (url.pathname === '/msi/token') {
    const principal = identities[String(req.headers['x-identity-header'] ?? '')];
    if (!principal) return send(res, 401, { error: 'invalid_client', error_description: 'unknown identity header' });
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, principal);
    return send(res, 200, {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + 3600),
      resource: url.searchParams.get('resource') ?? 'https://vault.azure.net',
      token_type: 'Bearer',
    });
  }

  const match = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([0-9a-f]{32}))?\/?$/.exec(url.pathname);
  if (!match || !url.searchParams.get('api-version')) return send(res, 400, { error: { code: 'BadParameter', message: 'unsupported request' } });

  // Challenge-based auth, as Key Vault: no or unknown token -> 401 with the authority and resource.
  const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
  const principal = auth ? tokens.get(auth[1]!) : undefined;
  if (!principal) {
    res.setHeader('WWW-Authenticate', 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"');
    return send(res, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });
  }

  const [, name, version] = match as unknown as [string, string, string | undefined];
  const base = `https://${req.headers.host}/secrets/${name}`;
  if (req.method === 'PUT' && !version) {
    if (principal !== 'admin') return forbidden(res);
    const input = JSON.parse(body || '{}') as { value?: string; contentType?: string; tags?: Record<string, string> };
    if (typeof input.value !== 'string') return send(res, 400, { error: { code: 'BadParameter', message: 'value is required' } });
    const entry: Version = { id: randomBytes(16).toString('hex'), value: input.value, contentType: input.contentType, tags: input.tags ?? {} };
    secrets.set(name, [...(secrets.get(name) ?? []), entry]);
    return send(res, 200, bundle(base, entry));
  }
  if (req.method === 'GET') {
    const versions = secrets.get(name);
    const entry = version ? versions?.find((v) => v.id === version) : versions?.at(-1);
    if (!entry) return send(res, 404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name} was not found in this key vault.` } });
    if (entry.tags.access === 'denied' && principal !== 'admin') return forbidden(res);
    return send(res, 200, bundle(base, entry));
  }
  return send(res, 405, { error: { code: 'MethodNotAllowed', message: 'unsupported method' } });
}

function bundle(base: string, entry: Version) {
  const now = Math.floor(Date.now() / 1000);
  return {
    id: `${base}/${entry.id}`,
    value: entry.value,
    ...(entry.contentType ? { contentType: entry.contentType } : {}),
    tags: entry.tags,
    attributes: { enabled: true, created: now, updated: now, recoveryLevel: 'Recoverable+Purgeable' },
  };
}

function forbidden(res: ServerResponse): void {
  send(res, 403, { error: { code: 'Forbidden', message: 'The user, group or application does not have secrets get permission.', innererror: { code: 'AccessDenied' } } });
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(payload));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
