/**
 * AWS: moto's server (`moto[server]` from PyPI) over HTTPS with the test CA's
 * certificate (`moto_server --ssl-cert/--ssl-key`), with IAM enforcement on:
 * the first IAM_SETUP_ACTIONS requests are unauthenticated (moto's
 * INITIAL_NO_AUTH_ACTION_COUNT) and create three users: `admin` (all actions),
 * `reader` (GetSecretValue only) and `denied` (no policy).
 */
import { ensurePythonTools } from './install.js';
import { freePort, recordServer, spawnServer, waitForPort } from './lib.js';
import { httpsRequest, type CertificateFiles } from './tls.js';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface MotoServer {
  endpoint: string;
  pid: number;
  region: string;
  admin: AwsKeys;
  reader: AwsKeys;
  denied: AwsKeys;
}

const IAM_SETUP_ACTIONS = 8;

export async function startMoto(files: CertificateFiles, ca: string): Promise<MotoServer> {
  const { motoServer } = ensurePythonTools();
  const port = await freePort();
  const { child, logFile } = spawnServer('moto', motoServer, ['-H', '127.0.0.1', '-p', String(port), '-c', files.certFile, '-k', files.keyFile], {
    INITIAL_NO_AUTH_ACTION_COUNT: String(IAM_SETUP_ACTIONS),
  });
  if (!child.pid) throw new Error('moto_server did not start');
  recordServer({ name: 'moto', pid: child.pid });
  await waitForPort(port, child, 'moto_server', logFile);
  const endpoint = `https://127.0.0.1:${port}`;

  let count = 0;
  const iam = async (params: Record<string, string>): Promise<string> => {
    count += 1;
    const res = await httpsRequest(endpoint, {
      method: 'POST',
      ca,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // moto routes by the credential scope's service; these first requests are not authenticated.
        authorization: 'AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
    });
    if (res.status !== 200) throw new Error(`moto IAM ${params.Action} failed: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    return res.text;
  };
  const createKeyFor = async (user: string): Promise<AwsKeys> => {
    const xml = await iam({ Action: 'CreateAccessKey', UserName: user });
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)?.[1];
    if (!accessKeyId || !secretAccessKey) throw new Error('moto CreateAccessKey returned no key');
    return { accessKeyId, secretAccessKey };
  };
  const policy = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

  await iam({ Action: 'CreateUser', UserName: 'admin' });
  await iam({ Action: 'PutUserPolicy', UserName: 'admin', PolicyName: 'all', PolicyDocument: policy({ Effect: 'Allow', Action: '*', Resource: '*' }) });
  const admin = await createKeyFor('admin');
  await iam({ Action: 'CreateUser', UserName: 'reader' });
  await iam({
    Action: 'PutUserPolicy',
    UserName: 'reader',
    PolicyName: 'read-dual-auth',
    // moto evaluates IAM policies against resource '*' only, so the reader is scoped by action.
    PolicyDocument: policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }),
  });
  const reader = await createKeyFor('reader');
  await iam({ Action: 'CreateUser', UserName: 'denied' });
  const denied = await createKeyFor('denied');
  if (count !== IAM_SETUP_ACTIONS) throw new Error(`moto set-up made ${count} unauthenticated requests, expected ${IAM_SETUP_ACTIONS}`);

  return { endpoint, pid: child.pid, region: 'us-east-1', admin, reader, denied };
}

/**
 * moto's server as LocalStack and `moto_server` run by default: plain HTTP on 127.0.0.1,
 * no IAM enforcement. For the plain-HTTP-to-loopback case (an emulator without TLS).
 */
export async function startPlainMoto(): Promise<{ endpoint: string; pid: number }> {
  const { motoServer } = ensurePythonTools();
  const port = await freePort();
  const { child, logFile } = spawnServer('moto-plain', motoServer, ['-H', '127.0.0.1', '-p', String(port)]);
  if (!child.pid) throw new Error('moto_server (plain HTTP) did not start');
  recordServer({ name: 'moto-plain', pid: child.pid });
  await waitForPort(port, child, 'moto_server (plain HTTP)', logFile);
  return { endpoint: `http://127.0.0.1:${port}`, pid: child.pid };
}
