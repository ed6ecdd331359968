// The printed table and the targets (PASS/FAIL). Targets are defined for the 2-core machine with PostgreSQL;
// on the embedded database they are printed for information.
import type { RunSummary } from '../children/load.ts';
import type { RawRate } from './argon2-raw.ts';
import type { ProbeResult } from './probe.ts';
import type { CpuUse } from './proc.ts';

export interface Target {
  name: string;
  value: string;
  goal: string;
  pass: boolean;
}

type Cpu = CpuUse;

export interface Results {
  at: string;
  backend: 'postgres' | 'embedded';
  machine: { cpus: number; cpuModel: string; memoryMiB: number; node: string; loadAverageAtEnd: number };
  settings: Record<string, unknown>;
  seed: { users: number; seconds: number };
  /** brackets: the raw runs before, between and after the sign-in slices; atLoadConcurrency: their mean. */
  rawArgon2: { atLoadConcurrency: RawRate; brackets: RawRate[]; atCores: RawRate };
  /** The slices pooled; ratioToRaw is the median of the slices' bracketed ratios (lib/slices.ts). */
  signIn: RunSummary & { cpu: Cpu; slices: Array<{ rps: number; ok: number; failed: number; ratio: number }>; ratioToRaw: number; ratioToBestRaw: number };
  /** One entry per kind and concurrency: its runs pooled (rps of each run in `parts`). */
  reset: Array<RunSummary & { kind: string; cpu: Cpu; parts: number[]; walBytesPerRequest?: number }>;
  probe: ProbeResult & { cpu: Cpu };
  mail: { expected: number; delivered: number; withCode: number; smtpSessions: number; backlogAtEnd: number; deliveryPerSecond?: number };
  peakRssMiB: number | undefined;
  totalSeconds: number;
  targets?: Target[];
  /** What the CPU cost per request predicts for a quiet machine with this many cores (see estimates()). */
  estimates?: Estimates;
  /** Measured steps during which other work used a noticeable share of the machine. */
  contaminated?: string[];
}

/** Other work above this many cores during a step makes its figures suspect (shared machine). */
const OTHER_LOAD_WARNING = 0.25;

const f = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '–');
const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
const cores = (cpu: Cpu) =>
  Object.entries(cpu.cores)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
/** CPU ms a process group spent per request during the step. */
const msPerReq = (cpu: Cpu, name: string, requests: number) => (cpu.ms[name] !== undefined ? cpu.ms[name] / requests : undefined);

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

export interface Estimates {
  cores: number;
  rawVerifyPerSecond: number;
  signInPerSecond: number;
  signInRatio: number;
  resetAt16PerSecond: number;
}

/**
 * CPU-bound projections that other load on a shared machine does not distort much: the machine's cores
 * divided by the CPU time one request costs across Nyckel, PostgreSQL, the load generator and the sink.
 * They assume perfect use of every core, so they are ceilings, comparable with each other.
 */
export function estimates(r: Results): Estimates {
  const c = r.machine.cpus;
  const sum = (cpu: Cpu, requests: number) => ['server', 'postgres', 'load', 'smtpSink'].reduce((a, k) => a + (msPerReq(cpu, k, requests) ?? 0), 0);
  const rawMs = Math.min(r.rawArgon2.atCores.cpuMsPerVerify, r.rawArgon2.atLoadConcurrency.cpuMsPerVerify);
  const signInMs = sum(r.signIn.cpu, r.signIn.requests);
  const at16 = r.reset.filter((x) => x.connections === 16);
  const resetMs = at16.length ? Math.max(...at16.map((x) => sum(x.cpu, x.requests))) : NaN;
  return {
    cores: c,
    rawVerifyPerSecond: (c * 1000) / rawMs,
    signInPerSecond: (c * 1000) / signInMs,
    signInRatio: rawMs / signInMs,
    resetAt16PerSecond: (c * 1000) / resetMs,
  };
}

export function evaluate(r: Results): Target[] {
  const at16 = r.reset.filter((x) => x.connections === 16);
  const min16 = at16.length ? Math.min(...at16.map((x) => x.rps)) : NaN;
  const diff = Math.abs(r.probe.medianDiffMs);
  return [
    {
      name: `sign-in / raw argon2id @${r.rawArgon2.atLoadConcurrency.concurrency}`,
      value: f(r.signIn.ratioToRaw, 2),
      goal: '≥ 0.85',
      pass: r.signIn.ratioToRaw >= 0.85 && r.signIn.failed === 0,
    },
    { name: 'reset request @16 (slower kind)', value: `${f(min16)} req/s`, goal: '≥ 2,000 req/s', pass: min16 >= 2000 && at16.every((x) => x.failed === 0) },
    { name: 'probe |median difference|', value: `${f(diff, 3)} ms`, goal: '< 0.2 ms', pass: diff < 0.2 && r.probe.failures === 0 },
    { name: 'probe classifier accuracy', value: pct(r.probe.bestThreshold.accuracy), goal: '≤ 55 %', pass: r.probe.bestThreshold.accuracy <= 0.55 },
  ];
}

/** Prints the report to stdout; returns whether every target passed. */
export function printReport(r: Results): boolean {
  const out: string[] = [];
  out.push('', `Nyckel benchmark — ${r.backend === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}, ${r.seed.users} users`, '');

  const raw = [r.rawArgon2.atLoadConcurrency, r.rawArgon2.atCores];
  const s = r.signIn;
  out.push(
    table([
      ['Sign-in', 'conns', 'per s', 'p50 ms', 'p99 ms', 'ok', 'failed', 'CPU ms each'],
      ...raw.map((x) => ['raw argon2id verify (no HTTP, no DB)', String(x.concurrency), f(x.rate, 1), '', '', String(x.verifications), '', f(x.cpuMsPerVerify, 1)]),
      ['sign-in POST, hosted page (server process)', String(s.connections), f(s.rps, 1), f(s.latencyMs.p50), f(s.latencyMs.p99), String(s.ok), String(s.failed), f(msPerReq(s.cpu, 'server', s.requests), 1)],
      [`  ratio to raw @${r.rawArgon2.atLoadConcurrency.concurrency} / @${r.rawArgon2.atCores.concurrency}`, '', `${f(s.ratioToRaw, 2)} / ${f(s.rps / r.rawArgon2.atCores.rate, 2)}`, '', '', '', '', ''],
    ]),
  );
  out.push(`  ratio per slice (its rate over the raw runs just before and after it; the median is the ratio): ${s.slices.map((x) => f(x.ratio, 3)).join(', ')}`);
  out.push(`  cores busy: ${cores(s.cpu)}`);
  const main = msPerReq(s.cpu, 'serverMainThread', s.requests);
  const all = msPerReq(s.cpu, 'server', s.requests);
  if (main !== undefined && all !== undefined) out.push(`  server CPU ms per sign-in: request thread ${f(main, 2)}, other threads (argon2 pool, GC, mail) ${f(all - main, 2)}`);
  out.push('');

  const resetRows = [['Reset request (send code)', 'conns', 'req/s', 'runs', 'p50 ms', 'p99 ms', 'ok', 'failed', 'server ms/req', 'pg ms/req', 'WAL B/req', 'cores busy']];
  for (const x of r.reset) {
    resetRows.push([
      `${x.kind} addresses`,
      String(x.connections),
      f(x.rps),
      x.parts.map((p) => f(p)).join(' / '),
      f(x.latencyMs.p50, 1),
      f(x.latencyMs.p99, 1),
      String(x.ok),
      String(x.failed),
      f(msPerReq(x.cpu, 'server', x.requests), 2),
      f(msPerReq(x.cpu, 'postgres', x.requests), 2),
      x.walBytesPerRequest !== undefined ? f(x.walBytesPerRequest) : '',
      cores(x.cpu),
    ]);
  }
  out.push(table(resetRows), '');

  const p = r.probe;
  out.push(
    table([
      [`Sequential probe (1 connection, ${p.perClass} existing + ${p.perClass} unknown, random order)`, 'value'],
      ['median existing / unknown', `${f(p.medianExistingMs, 3)} / ${f(p.medianUnknownMs, 3)} ms`],
      ['p90 existing / unknown', `${f(p.p90ExistingMs, 3)} / ${f(p.p90UnknownMs, 3)} ms`],
      ['median difference (existing − unknown)', `${f(p.medianDiffMs, 3)} ms`],
      ['best threshold classifier (in-sample)', `${pct(p.bestThreshold.accuracy)} at ${f(p.bestThreshold.thresholdMs, 3)} ms`],
      ['same, threshold from half, scored on other half', pct(p.heldOutAccuracy)],
      ['failed requests', String(p.failures)],
    ]),
    `  cores busy: ${cores(p.cpu)}`,
    '',
  );

  out.push(
    `Mail (SMTP sink): ${r.mail.delivered} of ${r.mail.expected} delivered, ${r.mail.withCode} with a code, ${r.mail.smtpSessions} SMTP sessions` +
      (r.mail.backlogAtEnd ? `; ${r.mail.backlogAtEnd} still queued at the end, delivering ${f(r.mail.deliveryPerSecond)}/s` : ''),
    `Peak RSS of the server (sum over its processes): ${r.peakRssMiB !== undefined ? `${f(r.peakRssMiB)} MiB` : 'n/a (no /proc)'}`,
    `Total run time: ${f(r.totalSeconds)} s`,
    '',
  );

  const steps: Array<[string, Cpu]> = [['sign-in', s.cpu], ['probe', p.cpu], ...r.reset.map((x): [string, Cpu] => [`reset ${x.kind} @${x.connections}`, x.cpu])];
  r.contaminated = steps.filter(([, cpu]) => (cpu.cores.other ?? 0) > OTHER_LOAD_WARNING).map(([name, cpu]) => `${name} (other ${f(cpu.cores.other, 2)} cores)`);
  if (r.contaminated.length) {
    out.push(`WARNING: other work shared this machine during: ${r.contaminated.join('; ')}.`, 'Figures from those steps understate Nyckel; rerun on a quiet machine.', '');
  }

  const e = estimates(r);
  r.estimates = e;
  out.push(
    `CPU-bound projection for ${e.cores} idle cores (CPU per request across all processes; robust to other load):`,
    `  raw argon2id ${f(e.rawVerifyPerSecond)}/s, sign-in ${f(e.signInPerSecond)}/s (ratio ${f(e.signInRatio, 2)})` +
      // Embedded PGlite runs on the server's one JS thread: its reset path cannot use a second core.
      (r.backend === 'postgres' ? `, reset request @16 ${f(e.resetAt16PerSecond)}/s` : ''),
    '',
  );

  const targets = evaluate(r);
  r.targets = targets;
  const note = r.backend === 'postgres' ? '' : ' (defined for PostgreSQL on 2 cores; informational here)';
  out.push(`Targets${note}:`);
  out.push(table(targets.map((t) => [`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name}`, t.value, t.goal])));
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
  return targets.every((t) => t.pass);
}
