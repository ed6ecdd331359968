import { randomBytes, pbkdf2Sync, scryptSync } from 'node:crypto';
import { Algorithm, hash as argonHash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { NyckelError } from '../errors.ts';
import { createHasher } from './hasher.ts';
import { createHashThreads, JOBS_PER_THREAD, RESULTS_PER_MESSAGE } from './hash-threads.ts';

const hasher = createHasher({ concurrency: 2 });
afterAll(() => hasher.close());

describe('argon2id', () => {
  it('hashes with m=19456,t=2,p=1 and verifies', async () => {
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(stored, 'correct horse battery')).toEqual({ ok: true, needsRehash: false });
    expect(await hasher.verify(stored, 'correct horse batterY')).toEqual({ ok: false, needsRehash: false });
  });

  it('hashes the NFKC form, so compatibility-equivalent input matches', async () => {
    const stored = await hasher.hash('\uFB01ne-tuned-secret'); // "ﬁ" ligature
    expect(await hasher.verify(stored, 'fine-tuned-secret')).toEqual({ ok: true, needsRehash: false });
  });

  it('asks for a rehash of weaker or non-id argon2 hashes', async () => {
    const weak = await argonHash('pw-weak-params', { algorithm: Algorithm.Argon2id, memoryCost: 8192, timeCost: 1 });
    expect(await hasher.verify(weak, 'pw-weak-params')).toEqual({ ok: true, needsRehash: true });
    const argon2i = await argonHash('pw-argon2i', { algorithm: Algorithm.Argon2i, memoryCost: 19456, timeCost: 2 });
    expect(await hasher.verify(argon2i, 'pw-argon2i')).toEqual({ ok: true, needsRehash: true });
  });

  it('rejects unknown or malformed stored values', async () => {
    for (const stored of ['', 'plaintext', '$argon2id$garbage', '$md5$abc', '$2b$10$short']) {
      expect(await hasher.verify(stored, 'plaintext')).toEqual({ ok: false, needsRehash: false });
    }
  });

  it('verifyDummy does real argon2 work through the queue', async () => {
    const pending = hasher.verifyDummy('whatever the attacker typed');
    expect(hasher.stats().running).toBe(1);
    await expect(pending).resolves.toBeUndefined();
  });
});

describe('input cap (1,024 UTF-8 bytes)', () => {
  it('hash throws password.too_long; verify and verifyDummy refuse without hashing', async () => {
    await expect(hasher.hash('a'.repeat(1025))).rejects.toMatchObject({ code: 'password.too_long', status: 400 });
    await expect(hasher.hash('é'.repeat(513))).rejects.toBeInstanceOf(NyckelError); // 1,026 bytes, 513 chars
    const stored = await hasher.hash('a'.repeat(1024)); // exactly at the cap is fine
    expect((await hasher.verify(stored, 'a'.repeat(1024))).ok).toBe(true);
    expect(await hasher.verify(stored, 'a'.repeat(1025))).toEqual({ ok: false, needsRehash: false });
    await hasher.verifyDummy('a'.repeat(5000));
    expect(hasher.stats()).toEqual({ running: 0, queued: 0 });
  });
});

describe('imported hashes', () => {
  it('bcrypt $2a$/$2b$/$2y$ verify and need a rehash', async () => {
    const stored = bcrypt.hashSync('imported-secret', 4);
    for (const v of ['2a', '2b', '2y']) {
      const h = stored.replace(/^\$2b\$/, `$${v}$`);
      expect(await hasher.verify(h, 'imported-secret')).toEqual({ ok: true, needsRehash: true });
      expect((await hasher.verify(h, 'imported-secreT')).ok).toBe(false);
    }
  });

  it("bcrypt's 72-byte truncation never lets a different password match", async () => {
    const p72 = 'x'.repeat(72);
    const stored = bcrypt.hashSync(p72, 4);
    expect(bcrypt.compareSync(`${p72}different`, stored)).toBe(true); // the library alone would accept it
    expect((await hasher.verify(stored, p72)).ok).toBe(true);
    expect((await hasher.verify(stored, `${p72}different`)).ok).toBe(false);
    const e37 = 'é'.repeat(37); // 37 characters but 74 bytes: over the limit even as the original password
    expect((await hasher.verify(bcrypt.hashSync(e37, 4), e37)).ok).toBe(false);
    expect((await hasher.verify(bcrypt.hashSync('é'.repeat(36), 4), 'é'.repeat(36))).ok).toBe(true);
  });

  it('scrypt $scrypt$ln=…,r=…,p=…$salt$hash', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('scrypt-secret', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const stored = `$scrypt$ln=14,r=8,p=1$${salt.toString('base64')}$${key.toString('base64').replace(/=+$/, '')}`;
    expect(await hasher.verify(stored, 'scrypt-secret')).toEqual({ ok: true, needsRehash: true });
    expect((await hasher.verify(stored, 'scrypt-secreT')).ok).toBe(false);
    expect((await hasher.verify(stored.replace('ln=14', 'ln=30'), 'scrypt-secret')).ok).toBe(false); // bounded
  });

  it('PBKDF2 $pbkdf2-sha256$ and $pbkdf2-sha512$', async () => {
    const salt = randomBytes(16);
    for (const [digest, len] of [['sha256', 32], ['sha512', 64]] as const) {
      const key = pbkdf2Sync('pbkdf2-secret', salt, 1000, len, digest);
      const stored = `$pbkdf2-${digest}$i=1000$${salt.toString('base64')}$${key.toString('base64')}`;
      expect(await hasher.verify(stored, 'pbkdf2-secret')).toEqual({ ok: true, needsRehash: true });
      expect((await hasher.verify(stored, 'pbkdf2-secreT')).ok).toBe(false);
      expect((await hasher.verify(stored.replace('i=1000', 'i=1001'), 'pbkdf2-secret')).ok).toBe(false);
    }
  });
});

describe('bounded queue', () => {
  it('refuses work beyond concurrency + maxQueue with server.busy (503)', async () => {
    // One thread: JOBS_PER_THREAD jobs handed to it (one running, the rest waiting on the thread), one in the queue.
    const small = createHasher({ concurrency: 1, maxQueue: 1 });
    const results = await Promise.allSettled(Array.from({ length: JOBS_PER_THREAD + 3 }, (_, i) => small.hash(`queued-password-${i}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(JOBS_PER_THREAD + 1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(2);
    for (const r of rejected) expect(r.reason).toMatchObject({ name: 'NyckelError', code: 'server.busy', status: 503 });
    await small.close();
  });

  it('close waits for accepted work, then refuses new work', async () => {
    const small = createHasher({ concurrency: 1, maxQueue: 4 });
    const accepted = Array.from({ length: JOBS_PER_THREAD + 1 }, (_, i) => small.hash(`accepted-password-${i}`));
    expect(small.stats()).toEqual({ running: JOBS_PER_THREAD, queued: 1 });
    await small.close();
    expect(small.stats()).toEqual({ running: 0, queued: 0 });
    await expect(Promise.all(accepted)).resolves.toHaveLength(JOBS_PER_THREAD + 1);
    await expect(small.hash('too-late-password')).rejects.toMatchObject({ code: 'server.busy' });
  });
});

describe('hash threads', () => {
  it('spread jobs over their threads, which run beside the event loop', async () => {
    const threads = createHashThreads(2);
    const stored = await argonHash('thread-secret', { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => threads.run({ op: 'verify', stored, candidates: i % 2 ? ['wrong', 'thread-secret'] : ['wrong'] })));
    clearInterval(timer);
    expect(results).toEqual([-1, 1, -1, 1, -1, 1]);
    expect(threads.workers()).toHaveLength(2);
    expect(ticks).toBeGreaterThan(5); // the event loop kept turning while six argon2 hashes ran
    expect(await threads.run({ op: 'verify', stored: '$argon2id$garbage', candidates: ['x'] })).toBe(-1);
    await threads.close();
  });

  it('send results together (up to RESULTS_PER_MESSAGE) while more jobs wait, and a result with nothing queued behind it at once', async () => {
    const threads = createHashThreads(1);
    const stored = await argonHash('paired-secret', { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2 });
    expect(await threads.run({ op: 'verify', stored, candidates: ['paired-secret'] })).toBe(0);
    const [worker] = threads.workers();
    const messages: number[] = [];
    worker!.on('message', (replies: unknown[]) => messages.push(replies.length));
    // Alone: answered without waiting for a second job (none comes; held, this would never resolve).
    expect(await threads.run({ op: 'verify', stored, candidates: ['wrong'] })).toBe(-1);
    expect(messages).toEqual([1]);
    // Six at once: each result but the last had the next job queued behind it; at most four leave together.
    expect(RESULTS_PER_MESSAGE).toBe(4);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => threads.run({ op: 'verify', stored, candidates: i % 2 ? ['paired-secret'] : ['wrong'] })));
    expect(results).toEqual([-1, 0, -1, 0, -1, 0]);
    expect(messages).toEqual([1, 4, 2]);
    await threads.close();
  });

  it('a thread that dies fails its jobs with 503 and the next job gets a new thread', async () => {
    const threads = createHashThreads(1);
    const pending = threads.run({ op: 'hash', password: 'doomed-password', options: { memoryCost: 19456, timeCost: 2, parallelism: 1 } });
    const [first] = threads.workers();
    await first!.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'server.busy', status: 503 });
    const stored = (await threads.run({ op: 'hash', password: 'fresh-password', options: { memoryCost: 19456, timeCost: 2, parallelism: 1 } })) as string;
    expect(stored).toMatch(/^\$argon2id\$/);
    expect(threads.workers()).toHaveLength(1);
    expect(threads.workers()[0]).not.toBe(first);
    await threads.close();
  });
});
