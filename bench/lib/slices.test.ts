import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../children/load.ts';
import type { RawRate } from './argon2-raw.ts';
import { bracketedRatios, median, pooledRaw, pooledSlices, type SignInSlice } from './slices.ts';

const run = (rps: number, seconds: number, p99: number): RunSummary => ({
  connections: 16,
  requests: Math.round(rps * seconds),
  seconds,
  rps,
  latencyMs: { p50: p99 / 2, p90: p99 * 0.9, p99, max: p99 + 10, mean: p99 / 2 },
  ok: Math.round(rps * seconds),
  failed: 0,
  errors: 0,
  timeouts: 0,
  statusCodes: { '303': Math.round(rps * seconds) },
});
const raw = (rate: number): RawRate => ({ concurrency: 16, rate, verifications: rate * 3, cpuMsPerVerify: 2000 / rate });

describe('sign-in slices', () => {
  it('takes each slice against the mean of the raw runs on either side of it', () => {
    // The machine speeds up from 80 to 120 verifications/s; each slice runs at 0.9 of the speed around it.
    const raws = [raw(80), raw(100), raw(120)];
    const ratios = bracketedRatios([run(81, 4, 200), run(99, 4, 200)], raws);
    expect(ratios.map((r) => r.toFixed(3))).toEqual(['0.900', '0.900']);
    // Against the mean of all raw runs the first slice would read 0.81: drift, not the server.
    expect((81 / pooledRaw(raws).rate).toFixed(2)).toBe('0.81');
  });

  it('needs one raw run more than slices', () => {
    expect(() => bracketedRatios([run(90, 4, 200)], [raw(100)])).toThrow(/1 slices need 2 raw runs/);
  });

  it('median: middle value, or the mean of the two middle values', () => {
    expect(median([0.99, 0.84, 0.86])).toBe(0.86);
    expect(median([0.8, 0.9, 1.0, 0.7])).toBeCloseTo(0.85);
    expect(median([])).toBeNaN();
  });

  it('pools slices: counts and CPU add up, rate is all requests over all time, p99 is the worst', () => {
    const slices: SignInSlice[] = [
      { run: run(100, 4, 200), cpu: { cores: { server: 2 }, ms: { server: 8000 }, wallMs: 4000 }, ratio: 0.9 },
      { run: run(50, 2, 300), cpu: { cores: { server: 1 }, ms: { server: 2000 }, wallMs: 2000 }, ratio: 0.8 },
    ];
    const p = pooledSlices(slices);
    expect(p.requests).toBe(500);
    expect(p.seconds).toBe(6);
    expect(p.rps).toBeCloseTo(500 / 6);
    expect(p.latencyMs.p99).toBe(300);
    expect(p.statusCodes).toEqual({ '303': 500 });
    expect(p.cpu.ms.server).toBe(10000);
    expect(p.cpu.cores.server).toBeCloseTo(10000 / 6000, 2);
  });
});
