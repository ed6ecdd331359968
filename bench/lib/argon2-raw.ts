// The ceiling for sign-in: argon2id verifications per second with @node-rs/argon2 alone (no HTTP, no
// database), with the hash parameters Nyckel uses and `concurrency` verifications in flight (they run on
// libuv's thread pool, 4 threads unless UV_THREADPOOL_SIZE says otherwise). The server runs argon2 on threads of
// its own, one per CPU (credentials/hash-threads.ts); the rate at the number of CPUs is the closer comparison
// for that, and the report prints the ratio to both.
import { verify } from '@node-rs/argon2';

export interface RawRate {
  concurrency: number;
  rate: number;
  verifications: number;
  /** CPU time per verification (this process, all threads): robust to other load on the machine. */
  cpuMsPerVerify: number;
}

export async function rawVerifyRate(hash: string, password: string, concurrency: number, seconds: number): Promise<RawRate> {
  // Warm-up: first calls pay for thread start-up and page faults of the 19 MiB blocks.
  await Promise.all(Array.from({ length: concurrency }, () => verify(hash, password)));
  let done = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      if (!(await verify(hash, password))) throw new Error('raw argon2 verification failed');
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const cpu = process.cpuUsage(cpu0);
  return { concurrency, rate: done / ((performance.now() - start) / 1000), verifications: done, cpuMsPerVerify: (cpu.user + cpu.system) / 1000 / done };
}
