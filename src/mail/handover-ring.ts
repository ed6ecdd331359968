// Rows handed from the request thread to the mail thread (dispatcher.ts `hand`) through shared memory: a ring
// of records, one writer (the request thread) and one reader (the mail thread's passes). Under load a batch of
// steps hands over mail many times between two passes of the mail thread (one pass every 25 ms); as messages,
// each was a structured clone to build, a port to lock and a wake-up of the mail thread, which then only noted
// rows its next pass would send anyway. Now a handover is a JSON record written here, and the mail thread is
// woken only by the first handover after its pass has begun (a latch like wake-latch.ts); the pass reads
// every record written before it.
//
// Layout: two Int32 cells (where the writer writes next, where the reader reads next), then the records, each
// a 32-bit length and that many bytes of UTF-8 JSON, padded to 4 bytes. A record never wraps: when it does not
// fit before the end, a WRAP marker says "go on at the start". The writer never fills the ring completely (so
// equal positions mean empty); a record that does not fit is refused and the caller posts it as a message.
import type { HandedMail } from './dispatcher.ts';

const WRAP = -1;
const HEAD = 0;
const TAIL = 1;
const HEADER_BYTES = 8;
/** About 3,000 handed rows: many passes' worth of mail at thousands of reset requests a second. */
export const DEFAULT_RING_BYTES = 1 << 20;

export interface HandoverRing {
  /** Writes one record; false when it does not fit now (the caller hands the rows over another way). */
  push(mail: readonly HandedMail[]): boolean;
  /** Every row of the records written so far, in order; frees their space. */
  take(): HandedMail[];
  readonly buffer: SharedArrayBuffer;
}

const align = (n: number) => (n + 3) & ~3;

export function handoverRing(buffer: SharedArrayBuffer = new SharedArrayBuffer(HEADER_BYTES + DEFAULT_RING_BYTES)): HandoverRing {
  const size = buffer.byteLength - HEADER_BYTES;
  if (size <= 8 || size % 4 !== 0) throw new Error('handover ring: the data area must be a multiple of 4 bytes');
  const cells = new Int32Array(buffer, 0, 2);
  const words = new Int32Array(buffer, HEADER_BYTES, size / 4);
  const bytes = Buffer.from(buffer, HEADER_BYTES, size);

  return {
    buffer,
    push(mail) {
      const json = JSON.stringify(mail);
      const length = Buffer.byteLength(json);
      const need = 4 + align(length);
      const head = Atomics.load(cells, HEAD);
      const tail = Atomics.load(cells, TAIL);
      let at: number;
      if (head >= tail) {
        // Free: [head, size) and [0, tail). Writing may not make head reach tail (that would read as empty).
        if (need < size - head || (need === size - head && tail > 0)) at = head;
        else if (need < tail) at = 0;
        else return false;
      } else if (need < tail - head) at = head;
      else return false;
      if (at !== head) words[head / 4] = WRAP;
      words[at / 4] = length;
      bytes.write(json, at + 4, length, 'utf8');
      const next = at + need;
      // The record is complete before the reader can see it: this store publishes it (Atomics are ordered).
      Atomics.store(cells, HEAD, next === size ? 0 : next);
      return true;
    },
    take() {
      const head = Atomics.load(cells, HEAD);
      let tail = Atomics.load(cells, TAIL);
      const rows: HandedMail[] = [];
      while (tail !== head) {
        const length = words[tail / 4]!;
        if (length === WRAP) {
          tail = 0;
          continue;
        }
        for (const row of JSON.parse(bytes.toString('utf8', tail + 4, tail + 4 + length)) as HandedMail[]) rows.push(row);
        tail += 4 + align(length);
        if (tail === size) tail = 0;
      }
      Atomics.store(cells, TAIL, tail);
      return rows;
    },
  };
}
