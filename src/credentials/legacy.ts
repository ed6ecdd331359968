// Verification of password hashes imported from other systems (SECURITY.md "Passwords and sessions": imported
// bcrypt / scrypt / PBKDF2 hashes are verified, then re-hashed with argon2id on the next sign-in).
// Accepted formats (anything else never verifies):
//   bcrypt  $2a$NN$… / $2b$NN$… / $2y$NN$…   (crypt(3) style, 53 chars after the cost; cost 4–16)
//   scrypt  $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>          e.g. $scrypt$ln=15,r=8,p=1$…$…
//   PBKDF2  $pbkdf2-<sha1|sha256|sha512>$i=<iterations>$<salt>$<hash>  e.g. $pbkdf2-sha256$i=600000$…$…
// <salt> and <hash> are base64 of the raw bytes (standard or URL-safe alphabet, padding optional). The derived
// key length is the decoded <hash> length (16–64 bytes). The password is used as typed (UTF-8, no NFKC),
// because that is how the exporting system hashed it. Parameters are bounded so a corrupt or hostile import
// cannot turn one sign-in into minutes of CPU or gigabytes of memory.
import bcrypt from 'bcryptjs';
import { pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { utf8Length } from './limits.ts';

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/_-]+={0,2})\$([A-Za-z0-9+/_-]+={0,2})$/;
const PBKDF2 = /^\$pbkdf2-(sha1|sha256|sha512)\$i=(\d{1,8})\$([A-Za-z0-9+/_-]+={0,2})\$([A-Za-z0-9+/_-]+={0,2})$/;
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;

export function isLegacyFormat(stored: string): boolean {
  return BCRYPT.test(stored) || SCRYPT.test(stored) || PBKDF2.test(stored);
}

export async function verifyLegacy(stored: string, password: string): Promise<boolean> {
  const b = BCRYPT.exec(stored);
  if (b) {
    // bcrypt silently ignores bytes past 72, so "<72 bytes>anything" would match: refuse instead of truncating.
    if (utf8Length(password) > 72 || Number(b[1]) < 4 || Number(b[1]) > 16) return false;
    // bcryptjs is plain JS on the event loop; its async form yields between rounds. Imported hashes are
    // replaced on the first successful sign-in, so this path fades out.
    return bcrypt.compare(password, stored);
  }
  const s = SCRYPT.exec(stored);
  if (s) {
    const [ln, r, p] = [Number(s[1]), Number(s[2]), Number(s[3])];
    const N = 2 ** ln;
    if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16 || 128 * N * r > SCRYPT_MAX_MEMORY) return false;
    const options = { N, r, p, maxmem: 128 * N * r + 2 ** 20 };
    return derivedEquals(s[5]!, (len) => derive((cb) => scrypt(password, b64(s[4]!), len, options, cb)));
  }
  const k = PBKDF2.exec(stored);
  if (k) {
    const iterations = Number(k[2]);
    if (iterations < 1 || iterations > 10_000_000) return false;
    return derivedEquals(k[4]!, (len) => derive((cb) => pbkdf2(password, b64(k[3]!), iterations, len, k[1]!, cb)));
  }
  return false;
}

function b64(text: string): Buffer {
  return Buffer.from(text, 'base64'); // Node's decoder accepts both alphabets and missing padding
}

async function derivedEquals(expectedB64: string, run: (keyLength: number) => Promise<Buffer>): Promise<boolean> {
  const expected = b64(expectedB64);
  if (expected.length < 16 || expected.length > 64) return false;
  const actual = await run(expected.length);
  return timingSafeEqual(actual, expected); // same length by construction
}

// node:crypto's scrypt/pbkdf2 callbacks run the work on libuv's thread pool, off the event loop.
function derive(start: (cb: (err: Error | null, key: Buffer) => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => start((err, key) => (err ? reject(err) : resolve(key))));
}
