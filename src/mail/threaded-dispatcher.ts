// The main-thread handle of the dispatcher thread (dispatcher-thread.ts): the same Dispatcher interface as the
// in-process one. Waking is a message; stop() waits until the thread has recorded its batches in flight and
// closed its connections. If the thread dies, the error is logged and rows stay queued: their leases expire
// and the next start (or another process) delivers them.
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '../config/schema.ts';
import type { Dispatcher, DispatcherLogger } from './dispatcher.ts';
import type { FromThread, ToThread } from './dispatcher-thread.ts';

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

export async function startDispatcherThread(config: Config, databaseUrl: string, logger: DispatcherLogger): Promise<Dispatcher> {
  const worker = new Worker(bootstrap, {
    eval: true,
    workerData: { config, databaseUrl, entry, tsx: ext === '.ts' ? tsxLoader() : undefined },
  });
  let alive = true;
  let started = false;
  const drains = new Map<number, { resolve(n: number): void; reject(e: Error): void }>();
  let nextDrain = 0;
  let stopped: (() => void) | undefined;
  const post = (m: ToThread) => {
    if (alive) worker.postMessage(m);
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: FromThread) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'drained') {
        const d = drains.get(m.id);
        drains.delete(m.id);
        if (m.error !== undefined) d?.reject(new Error(m.error));
        else d?.resolve(m.count ?? 0);
      } else if (m.type === 'stopped') stopped?.();
    });
    worker.once('error', (err) => {
      logger.error({ error: String(err) }, 'mail dispatcher thread failed');
      reject(err);
    });
    worker.once('exit', () => {
      alive = false;
      for (const d of drains.values()) d.reject(new Error('mail dispatcher thread exited'));
      drains.clear();
      stopped?.();
    });
  });
  await ready;
  return {
    start() {
      started = true;
      post({ type: 'start' });
    },
    wake() {
      if (started) post({ type: 'wake' });
    },
    drainOnce() {
      if (!alive) return Promise.reject(new Error('mail dispatcher thread is not running'));
      const id = nextDrain++;
      return new Promise<number>((resolve, reject) => {
        drains.set(id, { resolve, reject });
        post({ type: 'drain', id });
      });
    },
    async stop() {
      if (!alive) return;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      post({ type: 'stop' });
      await done;
      await worker.terminate();
    },
  };
}
