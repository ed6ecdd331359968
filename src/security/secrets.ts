// The server secret and the keys derived from it. One secret, many purposes: each purpose gets its own
// HKDF-derived key so a key leaked from one use (e.g. CSRF) says nothing about another (code HMACs).
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type KeyPurpose = 'codes' | 'csrf' | 'signing-keys' | 'local-cli' | 'sessions';

export interface Keys {
  hmac(purpose: KeyPurpose, ...parts: string[]): string;
  key(purpose: KeyPurpose): Buffer;
}

export function deriveKeys(secret: string): Keys {
  const cache = new Map<KeyPurpose, Buffer>();
  const key = (purpose: KeyPurpose): Buffer => {
    let k = cache.get(purpose);
    if (!k) {
      k = Buffer.from(hkdfSync('sha256', secret, 'nyckel', purpose, 32));
      cache.set(purpose, k);
    }
    return k;
  };
  return {
    key,
    // Parts are length-prefixed so ("ab","c") and ("a","bc") never collide.
    hmac: (purpose, ...parts) => createHmac('sha256', key(purpose)).update(parts.map((p) => `${p.length}:${p}`).join('|')).digest('base64url'),
  };
}

/** Reads the secret from dataDir/secret.key, creating it (256 random bits, mode 0600) on first start. */
export function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** A random token of `bytes` bytes (default 16 = 128 bits, the floor for session and flow tokens). */
export const randomToken = (bytes = 16) => randomBytes(bytes).toString('base64url');

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
