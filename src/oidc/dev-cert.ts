// `nyckel dev-cert`: a local CA and a server certificate for localhost and 127.0.0.1 signed by it, so Nyckel
// can serve https on a developer machine (MSAL refuses non-https authorities). Trust ca.pem (e.g.
// NODE_EXTRA_CA_CERTS=ca.pem); the CA's private key is never written, so it cannot sign anything else.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';

type Key = webcrypto.CryptoKey;
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface DevCert {
  ca: string;
  cert: string;
  key: string;
}

const pem = (der: ArrayBuffer, label: string) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

export async function createDevCert(opts: { days?: number } = {}): Promise<DevCert> {
  x509.cryptoProvider.set(webcrypto as never);
  const notBefore = new Date(Date.now() - DAY);
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Nyckel local development CA',
    keys: caKeys as never,
    signingAlgorithm: algorithm,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 3650 * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey as Key as never),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: keys.publicKey as Key as never,
    signingKey: caKeys.privateKey as Key as never,
    signingAlgorithm: algorithm,
    notBefore,
    // Browsers refuse server certificates valid for more than 398 days.
    notAfter: new Date(notBefore.getTime() + Math.min(opts.days ?? 365, 397) * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as Key as never);
  return { ca: ca.toString('pem') + '\n', cert: cert.toString('pem') + '\n', key: pem(key, 'PRIVATE KEY') };
}

/** Writes ca.pem, cert.pem and key.pem (0600) into `dir`; returns their paths. */
export async function writeDevCert(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const files = await createDevCert();
  const paths = { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  writeFileSync(paths.ca, files.ca);
  writeFileSync(paths.cert, files.cert);
  writeFileSync(paths.key, files.key, { mode: 0o600 });
  return paths;
}
