// The mail dispatcher on a thread of its own (PostgreSQL only): building and sending messages (MIME, SMTP)
// costs as much main-thread time as serving the request that queued them, so with a real database the
// dispatcher runs here, with its own small pool and transport, and the request thread only wakes it.
// Started by threaded-dispatcher.ts; speaks with it through messages: start, wake, handed (rows wait in the
// handover ring, handover-ring.ts), hand (rows handed over as a message when the ring was full), drain
// (→ drained n), stop (→ stopped). Wakes and handovers are each held back by a latch the two threads share
// (wake-latch.ts), lowered here as each pass starts, before it reads the ring.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { Config } from '../config/schema.ts';
import { openStore } from '../store/connect.ts';
import { createMailDelivery } from './delivery.ts';
import type { HandedMail } from './dispatcher.ts';
import { wakeLatch } from './wake-latch.ts';
import { handoverRing } from './handover-ring.ts';

export type ToThread = { type: 'start' } | { type: 'wake' } | { type: 'handed' } | { type: 'hand'; mail: HandedMail[] } | { type: 'drain'; id: number } | { type: 'stop' };
export type FromThread = { type: 'ready' } | { type: 'drained'; id: number; count?: number; error?: string } | { type: 'stopped' };

const { config, databaseUrl, wakes, handovers, ring: ringBuffer } = workerData as { config: Config; databaseUrl: string; wakes: SharedArrayBuffer; handovers: SharedArrayBuffer; ring: SharedArrayBuffer };
const port = parentPort;
if (!port) throw new Error('dispatcher-thread runs as a worker thread');
const log = pino({ level: config.logLevel }).child({ thread: 'mail' });
const store = await openStore({ databaseUrl, dataDir: config.dataDir, poolSize: 2, preparedStatements: config.databasePreparedStatements });
const latch = wakeLatch(wakes);
const handLatch = wakeLatch(handovers);
const ring = handoverRing(ringBuffer);
const dispatcher = createMailDelivery(config, store.db, log, {
  beforeClaim: latch.lower,
  takeHanded: () => {
    handLatch.lower();
    return ring.take();
  },
});
const send = (m: FromThread) => port.postMessage(m);

port.on('message', (m: ToThread) => {
  if (m.type === 'start') dispatcher.start();
  else if (m.type === 'wake') dispatcher.wake();
  else if (m.type === 'hand') dispatcher.hand(m.mail);
  else if (m.type === 'handed') dispatcher.hand([]);
  else if (m.type === 'drain')
    dispatcher.drainOnce().then(
      (count) => send({ type: 'drained', id: m.id, count }),
      (err: unknown) => send({ type: 'drained', id: m.id, error: String(err) }),
    );
  else if (m.type === 'stop')
    void (async () => {
      await dispatcher.stop();
      await store.close();
      send({ type: 'stopped' });
      port.close();
    })();
});
send({ type: 'ready' });
