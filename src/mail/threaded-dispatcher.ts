// The main-thread handle of the dispatcher thread (dispatcher-thread.ts): the same Dispatcher interface as the
// in-process one. Waking is a message, and so are the rows steps hand over (one message per turn); stop()
// waits until the thread has recorded its batches in flight and closed its connections. A thread that dies is
// logged and started again (after a pause that grows while it keeps dying); meanwhile rows stay queued, and
// leases taken by the dead thread (or rows handed to it) expire and are retried.
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '../config/schema.ts';
import { DEFAULT_LEASE_MS, type Dispatcher, type DispatcherLogger, type HandedMail } from './dispatcher.ts';
import type { FromThread, ToThread } from './dispatcher-thread.ts';
import { wakeLatch } from './wake-latch.ts';
import { handoverRing } from './handover-ring.ts';

// Run from TypeScript sources (tsx), the thread needs tsx's loader too; built JavaScript does not.
const ext = extname(fileURLToPath(import.meta.url));
const entry = new URL(`./dispatcher-thread${ext}`, import.meta.url).href;
const bootstrap = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((err) => { setImmediate(() => { throw err; }); });
`;

/** tsx's ESM register API (its exports' import condition), as a URL the eval'd bootstrap can import. */
const tsxLoader = () => new URL('dist/esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'))).href;

/** The dispatcher on its thread; `thread()` is the thread running now, if any (diagnostics and tests). */
export type ThreadedDispatcher = Dispatcher & { thread(): Worker | undefined };

export async function startDispatcherThread(config: Config, databaseUrl: string, logger: DispatcherLogger): Promise<ThreadedDispatcher> {
  const latch = wakeLatch();
  const handLatch = wakeLatch();
  const ring = handoverRing();
  const workerData = { config, databaseUrl, entry, tsx: ext === '.ts' ? tsxLoader() : undefined, wakes: latch.buffer, handovers: handLatch.buffer, ring: ring.buffer };
  let worker: Worker | undefined;
  let started = false;
  let stopping = false;
  let deaths: number[] = [];
  let restartTimer: NodeJS.Timeout | undefined;
  const drains = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  let nextDrain = 0;
  let stopped: (() => void) | undefined;
  const post = (m: ToThread) => worker?.postMessage(m);
  // Rows handed over during one turn leave together, as one record in the ring (handover-ring.ts): a batch of
  // steps completes many requests at once. The thread hears of them only when its pass has begun since the
  // last time; when the ring is full (the thread has fallen far behind) they go as a message instead.
  let handing: HandedMail[] = [];
  const handOver = () => {
    const mail = handing;
    handing = [];
    if (mail.length === 0) return;
    if (!ring.push(mail)) post({ type: 'hand', mail });
    else if (handLatch.raise()) post({ type: 'handed' });
  };

  /** Starts a thread; resolves once it is ready (its pool and transport open), rejects if it fails first. */
  function spawn(): Promise<void> {
    // A thread that died may have left the latches raised, with no pass of its own to come and lower them. Rows
    // it left in the ring are read by the new thread's first pass.
    latch.lower();
    handLatch.lower();
    const w = new Worker(bootstrap, { eval: true, workerData });
    worker = w;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      w.on('message', (m: FromThread) => {
        if (m.type === 'ready') {
          ready = true;
          if (started) w.postMessage({ type: 'start' } satisfies ToThread);
          resolve();
        } else if (m.type === 'drained') {
          const d = drains.get(m.id);
          drains.delete(m.id);
          if (m.error !== undefined) d?.reject(new Error(m.error));
          else d?.resolve(m.count ?? 0);
        } else if (m.type === 'stopped') stopped?.();
      });
      w.on('error', (err) => {
        logger.error({ error: String(err) }, 'mail dispatcher thread failed');
        if (!ready) reject(err);
      });
      w.once('exit', () => {
        if (worker === w) worker = undefined;
        for (const d of drains.values()) d.reject(new Error('mail dispatcher thread exited'));
        drains.clear();
        if (stopping || !ready) return stopped?.();
        const now = Date.now();
        deaths = [...deaths.filter((t) => now - t < 60_000), now];
        const delay = Math.min(30_000, 1000 * 2 ** (deaths.length - 1));
        logger.error({ retryInMs: delay }, 'mail dispatcher thread exited; starting another');
        restartTimer = setTimeout(() => void spawn().catch(() => {}), delay);
        restartTimer.unref();
      });
    });
  }

  await spawn();
  return {
    thread: () => worker,
    start() {
      started = true;
      post({ type: 'start' });
    },
    // One message until the thread's next pass starts (wake-latch.ts): under load a batch of steps completes
    // many requests in one turn, and each used to post its own wake (a message to build here and a wake-up of
    // the thread there); then one per turn, while a pass every 25 ms was all the wakes could bring about.
    wake() {
      if (started && latch.raise()) post({ type: 'wake' });
    },
    // A thread that is not running (it died and is being replaced) takes no handovers: rows are queued due.
    handoverLease: () => (started && !stopping && worker ? DEFAULT_LEASE_MS : undefined),
    hand(mail) {
      if (handing.length === 0) setImmediate(handOver);
      handing.push(...mail);
    },
    drainOnce() {
      if (!worker) return Promise.reject(new Error('mail dispatcher thread is not running'));
      const id = nextDrain++;
      return new Promise<number>((resolve, reject) => {
        drains.set(id, { resolve, reject });
        post({ type: 'drain', id });
      });
    },
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const w = worker;
      if (!w) return;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      w.postMessage({ type: 'stop' } satisfies ToThread);
      await done;
      await w.terminate();
    },
  };
}
