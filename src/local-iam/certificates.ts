/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 and
 * localhost, made with @peculiar/x509 on Node's WebCrypto. Used by the local IAM
 * and by the test suites: clients trust the CA through the `ca` option, so no
 * certificate check is ever disabled.
 */
import { webcrypto } from 'node:crypto';

import { loadOptional } from './optional.js';

export interface DevCertificates {
  /** PEM of the CA certificate: give it to clients as `ca` or NODE_EXTRA_CA_CERTS. */
  caCert: string;
  /** PEM of the server certificate (leaf only). */
  cert: string;
  /** PEM (PKCS#8) of the server key. */
  key: string;
}

export interface DevCertificateOptions {
  /** DNS names for the server certificate; default ['localhost']. */
  dnsNames?: string[];
  /** IP addresses for the server certificate; default ['127.0.0.1', '::1']. */
  ipAddresses?: string[];
  /** Validity in days; default 7. */
  days?: number;
  commonName?: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function createDevCertificates(options: DevCertificateOptions = {}): Promise<DevCertificates> {
  const x509 = await loadOptional<typeof import('@peculiar/x509')>('@peculiar/x509', 'Making the local CA');
  x509.cryptoProvider.set(webcrypto as never);
  const days = options.days ?? 7;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + days * 86_400_000);

  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const caName = `CN=${options.commonName ?? 'dual-auth local CA'}`;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey as never),
    ],
  });

  const serverKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ipAddresses = options.ipAddresses ?? ['127.0.0.1', '::1'];
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${dnsNames[0] ?? ipAddresses[0] ?? 'localhost'}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey as never,
    publicKey: serverKeys.publicKey as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey as never),
    ],
  });

  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey as never);
  return {
    caCert: caCert.toString('pem'),
    cert: serverCert.toString('pem'),
    key: toPem(Buffer.from(pkcs8), 'PRIVATE KEY'),
  };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

function toPem(der: Buffer, label: string): string {
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
