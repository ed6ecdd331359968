// Password hashing (SECURITY.md "Passwords and sessions"): argon2id m=19 MiB, t=2, p=1 for new hashes; imported
// bcrypt/scrypt/PBKDF2 hashes verify and report needsRehash; inputs over 1,024 bytes are refused before hashing.
//
// argon2 runs on Nyckel's own hash threads (hash-threads.ts), one per CPU by default (`hashing.concurrency`),
// never on the request thread. At most JOBS_PER_THREAD jobs per thread are handed out, so each thread has its
// next hash waiting; the rest wait in a bounded queue, and beyond `maxQueue` a request is refused with 503 at once.
// Imported formats (scrypt, PBKDF2 on libuv's pool; bcryptjs on the event loop) go through the same queue.
// Memory: each running argon2 hash holds 19 MiB, so budget threads × 19 MiB.
import { availableParallelism } from 'node:os';
import { Algorithm, Version, parseOptions } from '@node-rs/argon2';
import { NyckelError } from '../errors.ts';
import { verifyLegacy } from './legacy.ts';
import { MAX_PASSWORD_BYTES, utf8Length } from './limits.ts';
import { BoundedQueue } from './queue.ts';
import { createHashThreads, JOBS_PER_THREAD } from './hash-threads.ts';

export interface Hasher {
  hash(password: string): Promise<string>;
  verify(stored: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }>;
  verifyDummy(password: string): Promise<void>;
  close(): Promise<void>;
  stats(): { running: number; queued: number };
}

const ARGON2 = {
  algorithm: Algorithm.Argon2id,
  version: Version.V0x13,
  memoryCost: 19456, // KiB = 19 MiB
  timeCost: 2,
  parallelism: 1,
};

// A real argon2id hash with the current parameters, of a random password nobody knows. Verifying against it
// makes a sign-in for an unknown account cost the same as one for a known account (no user enumeration).
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YBBif5g73QIdGoiJuNWK5A$lWe1ue9kkbMo9rvA0qyTkPEh83XD7BdEmv7exEqGjoc';

const FAIL = { ok: false, needsRehash: false } as const;

export function createHasher(opts: { concurrency?: number; maxQueue?: number } = {}): Hasher {
  const threads = createHashThreads(opts.concurrency ?? availableParallelism());
  const queue = new BoundedQueue(JOBS_PER_THREAD * threads.size, opts.maxQueue ?? 256);

  // argon2 hashes are of the NFKC form, the same string the policy measured, so the same password typed on
  // different keyboards/IMEs matches. A hash of the raw form (e.g. imported argon2) still verifies and is
  // flagged needsRehash. verifyDummy runs this same function, so unknown accounts cost the same.
  async function argonCheck(stored: string, password: string): Promise<{ ok: boolean; normalised: boolean }> {
    const nfkc = password.normalize('NFKC');
    const match = (await threads.run({ op: 'verify', stored, candidates: nfkc === password ? [nfkc] : [nfkc, password] })) as number;
    return { ok: match >= 0, normalised: match <= 0 };
  }

  return {
    async hash(password) {
      if (utf8Length(password) > MAX_PASSWORD_BYTES) {
        throw new NyckelError('password.too_long', 400, { params: { max: MAX_PASSWORD_BYTES } });
      }
      return queue.run(async () => (await threads.run({ op: 'hash', password: password.normalize('NFKC'), options: ARGON2 })) as string);
    },

    async verify(stored, password) {
      if (utf8Length(password) > MAX_PASSWORD_BYTES) return FAIL;
      if (stored.startsWith('$argon2')) {
        const r = await queue.run(() => argonCheck(stored, password));
        return r.ok ? { ok: true, needsRehash: !r.normalised || !isCurrentArgon2(stored) } : FAIL;
      }
      // Imported formats: always re-hashed with argon2id after a successful sign-in.
      const ok = await queue.run(() => verifyLegacy(stored, password).catch(() => false));
      return ok ? { ok: true, needsRehash: true } : FAIL;
    },

    async verifyDummy(password) {
      if (utf8Length(password) > MAX_PASSWORD_BYTES) return; // mirrors verify(): refused before any hashing
      await queue.run(() => argonCheck(DUMMY_HASH, password));
    },

    async close() {
      await queue.close();
      await threads.close();
    },
    stats: () => queue.stats(),
  };
}

function isCurrentArgon2(stored: string): boolean {
  try {
    const o = parseOptions(stored);
    return (
      o.algorithm === ARGON2.algorithm &&
      o.version === ARGON2.version &&
      o.memoryCost === ARGON2.memoryCost &&
      o.timeCost === ARGON2.timeCost &&
      o.parallelism === ARGON2.parallelism
    );
  } catch {
    return false;
  }
}
