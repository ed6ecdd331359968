import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { HandedMail } from './dispatcher.ts';
import { handoverRing } from './handover-ring.ts';

const mail = (n: number, extra = ''): HandedMail => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  template: 'reset_code',
  locale: 'sv',
  params: { tenantName: `Contoso ${extra}`, code: String(100000 + n), minutes: 10 },
  recipient: `user${n}@example.com`,
  subject: 'Din kod',
  leasedUntil: 1_700_000_000_000 + n,
});

describe('handover ring', () => {
  it('gives back every row in order across many wraps, and refuses a record only while it does not fit', () => {
    const ring = handoverRing(new SharedArrayBuffer(8 + 2048));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const model: HandedMail[] = [];
    let next = 0;
    let refused = 0;
    let taken = 0;
    for (let round = 0; round < 2000; round++) {
      if (random() < 0.6) {
        // 1-4 rows, names of varied length (some non-ASCII), so records end at every alignment.
        const rows = Array.from({ length: 1 + Math.floor(random() * 4) }, () => mail(next++, 'å'.repeat(Math.floor(random() * 7))));
        if (ring.push(rows)) model.push(...rows);
        else {
          refused++;
          next -= rows.length;
          expect(model.length).toBeGreaterThan(0); // an empty ring takes any record that fits at all
        }
      } else {
        const got = ring.take();
        expect(got).toEqual(model.splice(0));
        taken += got.length;
      }
    }
    expect(ring.take()).toEqual(model.splice(0));
    expect(refused).toBeGreaterThan(0);
    expect(taken).toBeGreaterThan(500);
  });

  it('refuses a record larger than the ring, and an empty ring reads as empty', () => {
    const ring = handoverRing(new SharedArrayBuffer(8 + 256));
    expect(ring.take()).toEqual([]);
    expect(ring.push(Array.from({ length: 10 }, (_, i) => mail(i)))).toBe(false);
    expect(ring.push([mail(1)])).toBe(true);
    expect(ring.take()).toEqual([mail(1)]);
    expect(ring.take()).toEqual([]);
  });

  it('carries rows from a writer on another thread, none lost or repeated', async () => {
    const ring = handoverRing(new SharedArrayBuffer(8 + 4096));
    const total = 3000;
    const worker = new Worker(new URL('../../test/fixtures/handover-ring-writer.mjs', import.meta.url), { workerData: { buffer: ring.buffer, total } });
    const seen: string[] = [];
    try {
      let finished = false;
      worker.once('message', () => (finished = true));
      worker.once('error', (err) => {
        throw err;
      });
      for (;;) {
        const last = finished; // everything was pushed before the message: this take gets the rest
        for (const row of ring.take()) seen.push(row.id);
        if (last) break;
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      await worker.terminate();
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, n) => mail(n).id));
  });
});
