// Coalesces concurrent calls into one database statement. Under load many requests reach the same step in
// the same turn of the event loop; instead of a round trip each, the calls queued during one turn go out
// together as one statement (and one commit), and each caller gets its own result back. A round trip costs
// far more than the rows it carries (syscalls, wake-ups, parse and plan, commit on both sides), so this is
// what lets a 2-core machine serve thousands of reset requests a second. When idle, a call waits for nothing
// but the end of the current turn (setImmediate); there is no timer.
//
// A batch's statement succeeds or fails as a whole. `run` must therefore either return one result per item or
// throw; when a batch of several throws, each item is retried alone, so one bad item fails only itself.
export interface BatcherOptions<I, O> {
  run(items: I[]): Promise<O[]>;
  /** Most items per statement. */
  maxBatch?: number;
  /** Most statements in flight at once; further calls wait and go out together when one finishes. */
  maxInflight?: number;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export type Batched<I, O> = (item: I) => Promise<O>;

export function createBatcher<I, O>(opts: BatcherOptions<I, O>): Batched<I, O> {
  const maxBatch = opts.maxBatch ?? 64;
  const maxInflight = opts.maxInflight ?? 1;
  let queue: Array<Pending<I, O>> = [];
  let scheduled = false;
  let inflight = 0;

  async function runBatch(batch: Array<Pending<I, O>>): Promise<void> {
    inflight++;
    try {
      let results: O[];
      try {
        results = await opts.run(batch.map((p) => p.item));
        if (results.length !== batch.length) throw new Error(`batch returned ${results.length} results for ${batch.length} items`);
      } catch (err) {
        if (batch.length === 1) return batch[0]!.reject(err);
        // One item spoiled the statement (or the connection failed): each item on its own.
        await Promise.all(batch.map((p) => opts.run([p.item]).then((r) => p.resolve(r[0] as O), p.reject)));
        return;
      }
      batch.forEach((p, i) => p.resolve(results[i] as O));
    } finally {
      inflight--;
      if (queue.length > 0) schedule();
    }
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0 && inflight < maxInflight) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      void runBatch(batch);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
}

/** One batcher per database handle and purpose (a transaction handle gets its own, so nothing crosses it). */
export function batcherFor<I, O>(db: object, name: string, make: () => Batched<I, O>): Batched<I, O> {
  let perDb = registry.get(db);
  if (!perDb) registry.set(db, (perDb = new Map()));
  let b = perDb.get(name) as Batched<I, O> | undefined;
  if (!b) perDb.set(name, (b = make()));
  return b;
}

const registry = new WeakMap<object, Map<string, unknown>>();
