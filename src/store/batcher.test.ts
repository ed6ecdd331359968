import { describe, expect, it } from 'vitest';
import { createBatcher } from './batcher.ts';

describe('createBatcher', () => {
  it('coalesces calls made in one turn into one run, each caller getting its own result', async () => {
    const runs: number[][] = [];
    const double = createBatcher<number, number>({ run: async (xs) => (runs.push(xs), xs.map((x) => x * 2)) });
    expect(await Promise.all([1, 2, 3, 4].map(double))).toEqual([2, 4, 6, 8]);
    expect(runs).toEqual([[1, 2, 3, 4]]);
  });

  it('splits at maxBatch and holds further calls while maxInflight runs are busy', async () => {
    const runs: number[][] = [];
    let busy = 0;
    let peak = 0;
    const run = createBatcher<number, number>({
      maxBatch: 3,
      maxInflight: 1,
      run: async (xs) => {
        busy++;
        peak = Math.max(peak, busy);
        runs.push(xs);
        await new Promise((r) => setTimeout(r, 5));
        busy--;
        return xs;
      },
    });
    expect(await Promise.all([1, 2, 3, 4, 5, 6, 7].map(run))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(1);
    expect(runs).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('when a batch fails, retries each item alone so only the bad one fails', async () => {
    const runs: number[][] = [];
    const run = createBatcher<number, number>({
      run: async (xs) => {
        runs.push(xs);
        if (xs.includes(13)) throw new Error('unlucky');
        return xs;
      },
    });
    const results = await Promise.allSettled([12, 13, 14].map(run));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(runs).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it('rejects a run that returns the wrong number of results', async () => {
    const run = createBatcher<number, number>({ run: async () => [] });
    await expect(run(1)).rejects.toThrow(/0 results for 1 items/);
  });
});
