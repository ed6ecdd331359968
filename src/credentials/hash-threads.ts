// argon2id on threads of Nyckel's own, one per CPU by default, instead of libuv's shared pool.
//
// Each thread takes its jobs from its own message queue and runs them back to back (@node-rs/argon2's sync
// calls), so a thread starts its next hash the moment the last one ends. On libuv's pool every next hash waited
// for the request thread to take the finished one and submit another; on a busy machine that gap left a core
// idle for part of the time, and more concurrent hashes than cores (to cover the gap) made each one dearer: on
// 2 CPUs, 4 hashes at once cost ~1 ms more CPU per hash than 2 (each holds 19 MiB, and they take turns on
// the cores). The hasher (hasher.ts) keeps up to JOBS_PER_THREAD jobs out per thread, so the next one is always
// waiting.
//
// Under load a thread sends its results in fours: a result whose next job is already waiting in the thread's
// queue is held until that job is done too, up to RESULTS_PER_MESSAGE results, and they leave in one message; a
// result with nothing queued behind it leaves at once (an idle server adds no wait). Each message wakes the
// request thread, and next to argon2's 19 MiB per hash a wake-up finds its caches cold: handled one at a time, a
// sign-in cost the request thread about 4 times the CPU it costs on a machine that is not hashing. Sign-ins
// finishing in one turn also share the statement that ends their flows (store/batcher.ts), their replies leave
// together, and their clients' next submissions come back together and share the statement that reads them
// (store/queries/sign-in.ts). Measured with `npm run bench` on 2 CPUs (sign-in at 16 connections, against raw
// argon2 at 16, three back-to-back runs each):
// - one result per message -> pairs: request-thread CPU per sign-in 2.0-2.4 ms -> 1.2-1.7 ms, PostgreSQL's
//   1.3-1.5 ms -> 0.9-1.1 ms, the ratio to raw argon2 0.79-0.81 -> 0.81-0.90;
// - pairs -> fours: request thread 1.34-1.39 ms -> 0.87-1.00 ms, PostgreSQL 0.82-0.85 ms -> 0.54-0.59 ms, the
//   ratio 0.836-0.892 -> 0.910-0.944. Eight per message was no better (0.904, 0.937). At 8 connections (four
//   jobs per thread, so a thread's queue runs dry after each message) fours and pairs tie (0.859-0.861 and
//   0.854-0.876).
// The cost: under load a sign-in's reply may wait for up to three more hashes (~14 ms each). A saturated
// server's latency is set by its queue anyway (connections / rate); below saturation nothing waits.
//
// A thread that dies fails its jobs (the sign-ins get 503 and may retry) and is replaced; threads are started
// on first use and do not keep an idle process alive.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { NyckelError } from '../errors.ts';

export type HashJob =
  /** Index of the first candidate that matches `stored`, or -1 (a malformed `stored` matches nothing). */
  | { op: 'verify'; stored: string; candidates: string[] }
  /** A new argon2id hash of `password` with `options`. */
  | { op: 'hash'; password: string; options: Record<string, number> };

type Reply = { id: number; value: number | string } | { id: number; error: string };

// CommonJS, evaluated in the thread: no TypeScript loader needed there. `argon2` is the resolved module path.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
const run = (job) => {
  if (job.op === 'hash') return argon2.hashSync(job.password, job.options);
  for (let i = 0; i < job.candidates.length; i++) {
    try { if (argon2.verifySync(job.stored, job.candidates[i])) return i; } catch { return -1; }
  }
  return -1;
};
// A port delivers every message already queued before the thread's event loop goes on, so \`setImmediate\` runs
// once the queue is empty: a held result leaves then, or as soon as a second one joins it.
let held = [];
let flushing = false;
const flush = () => {
  flushing = false;
  if (held.length > 0) parentPort.postMessage(held);
  held = [];
};
parentPort.on('message', (job) => {
  let reply;
  try { reply = { id: job.id, value: run(job) }; } catch (err) { reply = { id: job.id, error: String(err && err.message || err) }; }
  held.push(reply);
  if (held.length >= workerData.resultsPerMessage) flush();
  else if (!flushing) { flushing = true; setImmediate(flush); }
});
`;

/** Jobs the hasher keeps out per thread: enough that a thread sending a full message still has the next jobs queued. */
export const JOBS_PER_THREAD = 6;
/** Most results a thread sends in one message (see the header). */
export const RESULTS_PER_MESSAGE = 4;

const argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');

interface Lane {
  worker: Worker;
  jobs: Map<number, { resolve(v: number | string): void; reject(e: Error): void }>;
}

export interface HashThreads {
  run(job: HashJob): Promise<number | string>;
  /** Ends the threads; jobs still running are failed. */
  close(): Promise<void>;
  readonly size: number;
  /** The threads running now (diagnostics and tests). */
  workers(): Worker[];
}

export function createHashThreads(size: number): HashThreads {
  const lanes: Array<Lane | undefined> = Array.from({ length: size }, () => undefined);
  let nextId = 0;
  let closed = false;

  function start(slot: number): Lane {
    const worker = new Worker(SOURCE, { eval: true, workerData: { argon2: argon2Path, resultsPerMessage: RESULTS_PER_MESSAGE } });
    const lane: Lane = { worker, jobs: new Map() };
    worker.unref(); // idle threads never hold the process open; `run` refs while jobs are out
    worker.on('message', (replies: Reply[]) => {
      for (const m of replies) {
        const job = lane.jobs.get(m.id);
        lane.jobs.delete(m.id);
        if ('error' in m) job?.reject(new Error(`argon2: ${m.error}`));
        else job?.resolve(m.value);
      }
      if (lane.jobs.size === 0) worker.unref();
    });
    const fail = (err: Error) => {
      if (lanes[slot] === lane) lanes[slot] = undefined; // the next job starts a new thread
      for (const job of lane.jobs.values()) job.reject(err);
      lane.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new NyckelError('server.busy', 503)));
    lanes[slot] = lane;
    return lane;
  }

  return {
    size,
    workers: () => lanes.flatMap((lane) => (lane ? [lane.worker] : [])),
    run(job) {
      if (closed) return Promise.reject(new NyckelError('server.busy', 503));
      // The thread with the fewest jobs out; started here the first time it is needed.
      let slot = 0;
      for (let i = 1; i < size; i++) if ((lanes[i]?.jobs.size ?? 0) < (lanes[slot]?.jobs.size ?? 0)) slot = i;
      const lane = lanes[slot] ?? start(slot);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        lane.jobs.set(id, { resolve, reject });
        lane.worker.ref();
        lane.worker.postMessage({ id, ...job });
      });
    },
    async close() {
      closed = true;
      await Promise.all(lanes.map((lane) => lane?.worker.terminate()));
    },
  };
}
