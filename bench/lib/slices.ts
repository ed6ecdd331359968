// The sign-in ratio on a machine whose speed drifts. A shared VM here ran the same raw argon2id measurement at
// 83/s and at 111/s within half a minute, so one sign-in run between two raw runs gave ratios from 0.75 to
// 0.99 for the same code. The sign-in measurement is therefore cut into short slices, each between two raw
// runs (raw, sign-in, raw, sign-in, …, raw): a slice's ratio is its rate over the mean of its two neighbours,
// which cancels drift slower than a slice, and the reported ratio is the median of the slices' ratios, so one
// slice caught in a swing does not decide it.
import type { RunSummary } from '../children/load.ts';
import type { RawRate } from './argon2-raw.ts';
import type { CpuUse } from './proc.ts';

export interface SignInSlice {
  run: RunSummary;
  cpu: CpuUse;
  /** The slice's rate over the mean raw rate of the runs just before and after it. */
  ratio: number;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Ratios of slice i against raw runs i and i+1 (`raws` has one more entry than `runs`). */
export function bracketedRatios(runs: readonly RunSummary[], raws: readonly RawRate[]): number[] {
  if (raws.length !== runs.length + 1) throw new Error(`${runs.length} slices need ${runs.length + 1} raw runs, got ${raws.length}`);
  return runs.map((run, i) => run.rps / ((raws[i]!.rate + raws[i + 1]!.rate) / 2));
}

/** The raw runs as one: mean rate and CPU per verification, all verifications. */
export function pooledRaw(raws: readonly RawRate[]): RawRate {
  const first = raws[0];
  if (!first) throw new Error('no raw runs');
  const mean = (pick: (r: RawRate) => number) => raws.reduce((a, r) => a + pick(r), 0) / raws.length;
  return { concurrency: first.concurrency, rate: mean((r) => r.rate), verifications: raws.reduce((a, r) => a + r.verifications, 0), cpuMsPerVerify: mean((r) => r.cpuMsPerVerify) };
}

/**
 * Runs of one kind as one run (the sign-in slices; the reset runs of one kind and concurrency): requests,
 * successes and time added up (rps = all requests over all time); latency p50/p90/mean are the means of the
 * runs', p99 and max the worst run's. CPU ms and step time add up.
 */
export function pooledRuns(slices: ReadonlyArray<{ run: RunSummary; cpu: CpuUse }>): RunSummary & { cpu: CpuUse } {
  const first = slices[0];
  if (!first) throw new Error('no runs to pool');
  const runs = slices.map((s) => s.run);
  const sum = (pick: (r: RunSummary) => number) => runs.reduce((a, r) => a + pick(r), 0);
  const mean = (pick: (r: RunSummary) => number) => sum(pick) / runs.length;
  const worst = (pick: (r: RunSummary) => number) => Math.max(...runs.map(pick));
  const seconds = sum((r) => r.seconds);
  const statusCodes: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const ms: Record<string, number> = {};
  for (const { cpu } of slices) for (const [k, v] of Object.entries(cpu.ms)) ms[k] = (ms[k] ?? 0) + v;
  const wallMs = slices.reduce((a, s) => a + s.cpu.wallMs, 0);
  const cores = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round((v / wallMs) * 100) / 100]));
  return {
    connections: first.run.connections,
    requests: sum((r) => r.requests),
    seconds,
    rps: sum((r) => r.requests) / seconds,
    latencyMs: { p50: mean((r) => r.latencyMs.p50), p90: mean((r) => r.latencyMs.p90), p99: worst((r) => r.latencyMs.p99), max: worst((r) => r.latencyMs.max), mean: mean((r) => r.latencyMs.mean) },
    ok: sum((r) => r.ok),
    failed: sum((r) => r.failed),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
    cpu: { cores, ms, wallMs },
  };
}

export const pooledSlices = (slices: readonly SignInSlice[]) => pooledRuns(slices);
