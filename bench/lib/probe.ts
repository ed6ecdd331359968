// The enumeration probe: an attacker with one keep-alive connection sends "send code" for a mix of existing
// and unknown addresses, one at a time in random order, and times each answer. If the timings separate the
// two groups, "is there an account for this address?" leaks. Reported: the medians and their difference, and
// the accuracy of the best single-threshold classifier (50 % = no signal).
import { Agent, request } from 'node:http';
import { randomInt } from 'node:crypto';
import { addressOf, RESET_PATH, type AddressKind } from './shape.ts';

export interface ProbeSample {
  kind: 'existing' | 'unknown';
  ms: number;
}

export interface ProbeResult {
  perClass: number;
  medianExistingMs: number;
  medianUnknownMs: number;
  /** median(existing) − median(unknown) */
  medianDiffMs: number;
  p90ExistingMs: number;
  p90UnknownMs: number;
  /** Best threshold chosen on all samples (what the target is about; optimistic for the attacker). */
  bestThreshold: { accuracy: number; thresholdMs: number; existingIsSlower: boolean };
  /** Threshold chosen on half the samples, scored on the other half (an honest out-of-sample figure). */
  heldOutAccuracy: number;
  failures: number;
  seconds: number;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export const median = (xs: number[]) => quantile(xs, 0.5);
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** The threshold (and direction) that best separates the classes on these samples. */
export function bestThreshold(samples: ProbeSample[]): { accuracy: number; thresholdMs: number; existingIsSlower: boolean } {
  const s = [...samples].sort((a, b) => a.ms - b.ms);
  const nE = s.filter((x) => x.kind === 'existing').length;
  const nU = s.length - nE;
  // Threshold below everything: "all slower" — predicts one class for every sample.
  let best = { accuracy: Math.max(nE, nU) / s.length, thresholdMs: -Infinity, existingIsSlower: nE >= nU };
  let leftE = 0;
  let leftU = 0;
  for (let i = 0; i < s.length; i++) {
    const x = s[i] as ProbeSample;
    if (x.kind === 'existing') leftE++;
    else leftU++;
    const nextMs = s[i + 1]?.ms;
    if (nextMs !== undefined && nextMs === x.ms) continue; // only split between distinct values
    const thresholdMs = nextMs === undefined ? x.ms : (x.ms + nextMs) / 2;
    // ≤ threshold predicted unknown (existing slower), or ≤ threshold predicted existing (existing faster).
    const slower = (leftU + (nE - leftE)) / s.length;
    const faster = (leftE + (nU - leftU)) / s.length;
    if (slower > best.accuracy) best = { accuracy: slower, thresholdMs, existingIsSlower: true };
    if (faster > best.accuracy) best = { accuracy: faster, thresholdMs, existingIsSlower: false };
  }
  return best;
}

function scoreThreshold(samples: ProbeSample[], t: { thresholdMs: number; existingIsSlower: boolean }): number {
  let right = 0;
  for (const x of samples) {
    const predictedExisting = t.existingIsSlower ? x.ms > t.thresholdMs : x.ms <= t.thresholdMs;
    if (predictedExisting === (x.kind === 'existing')) right++;
  }
  return right / samples.length;
}

export async function runProbe(opts: { base: string; flows: string[]; perClass: number; users: number; warmup: number }): Promise<ProbeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(opts.base);
  // Distinct random accounts and distinct unknown addresses of the same shape, interleaved at random.
  const picks = shuffle(Array.from({ length: opts.users }, (_, i) => i));
  const plan: Array<{ kind: AddressKind; i: number }> = shuffle([
    ...picks.slice(0, opts.perClass).map((i) => ({ kind: 'existing' as const, i })),
    ...picks.slice(0, opts.perClass).map((i) => ({ kind: 'unknown' as const, i })),
  ]);
  const warm = Array.from({ length: opts.warmup }, (_, i) => ({ kind: 'warm' as AddressKind, i }));
  if (opts.flows.length < plan.length + warm.length) throw new Error('not enough flows for the probe');

  const send = (flowId: string, email: string) =>
    new Promise<{ ms: number; ok: boolean }>((resolve, reject) => {
      const body = JSON.stringify({ action: 'send_code', email });
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: `${RESET_PATH}?flow=${flowId}`,
          agent,
          headers: { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            resolve({ ms, ok: res.statusCode === 200 && text.includes('"state":"code_sent"') });
          });
        },
      );
      req.on('error', reject);
      const t0 = process.hrtime.bigint();
      req.end(body);
    });

  let f = 0;
  for (const w of warm) await send(opts.flows[f++] as string, addressOf(w.kind, w.i));
  const samples: ProbeSample[] = [];
  let failures = 0;
  const started = performance.now();
  for (const p of plan) {
    const r = await send(opts.flows[f++] as string, addressOf(p.kind, p.i));
    if (!r.ok) failures++;
    samples.push({ kind: p.kind as 'existing' | 'unknown', ms: r.ms });
  }
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();

  const existing = samples.filter((s) => s.kind === 'existing').map((s) => s.ms);
  const unknown = samples.filter((s) => s.kind === 'unknown').map((s) => s.ms);
  const train = samples.filter((_, i) => i % 2 === 0);
  const test = samples.filter((_, i) => i % 2 === 1);
  return {
    perClass: opts.perClass,
    medianExistingMs: median(existing),
    medianUnknownMs: median(unknown),
    medianDiffMs: median(existing) - median(unknown),
    p90ExistingMs: quantile(existing, 0.9),
    p90UnknownMs: quantile(unknown, 0.9),
    bestThreshold: bestThreshold(samples),
    heldOutAccuracy: scoreThreshold(test, bestThreshold(train)),
    failures,
    seconds,
  };
}
