// A bounded work queue for the hasher: at most `concurrency` tasks run, at most `maxQueue` wait, and anything
// beyond is refused at once with 503 so a burst of sign-ins degrades into fast refusals instead of an unbounded
// backlog of 19 MiB argon2 jobs (memory) and ever-growing latency.
import { NyckelError } from '../errors.ts';

export class BoundedQueue {
  #running = 0;
  #closed = false;
  readonly #waiting: Array<() => void> = [];
  readonly #idle: Array<() => void> = [];

  constructor(readonly concurrency: number, readonly maxQueue: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be an integer >= 1');
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be an integer >= 0');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A closed queue refuses like a full one: callers handle a single "try again later" case.
    if (this.#closed) throw new NyckelError('server.busy', 503);
    if (this.#running < this.concurrency) {
      this.#running++;
    } else {
      if (this.#waiting.length >= this.maxQueue) throw new NyckelError('server.busy', 503);
      await new Promise<void>((resolve) => this.#waiting.push(resolve)); // the finishing task hands us its slot
    }
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) return next(); // slot passes straight to the next waiter; `running` is unchanged
    this.#running--;
    if (this.#running === 0) for (const done of this.#idle.splice(0)) done();
  }

  /** Refuse new work; resolve once everything already accepted (running or queued) has finished. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stats(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#waiting.length };
  }
}
