// `npm run bench`: Nyckel's throughput and enumeration-timing benchmark (see bench/README.md).
//
// Against PostgreSQL when NYCKEL_DATABASE_URL is set (a fresh database on that server, dropped at the end),
// else embedded PGlite. The server runs as its own process (`nyckel start`), the load comes from autocannon in
// another, and mail is dispatched to an SMTP sink in a third — as in production. Prints a table and the
// targets, and writes .bench/results.json.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { forkChild, type Child } from './lib/ipc.ts';
import { createBenchDatabase, seed, type BenchDatabase } from './lib/database.ts';
import { rawVerifyRate, type RawRate } from './lib/argon2-raw.ts';
import { bracketedRatios, median, pooledRaw, pooledRuns, pooledSlices, type SignInSlice } from './lib/slices.ts';
import { startServer, tail, type ServerProcess } from './lib/server.ts';
import { cpuDiff, cpuSnapshot, postgresPids, walPosition, type CpuUse } from './lib/proc.ts';
import { runProbe } from './lib/probe.ts';
import { PASSWORD } from './lib/shape.ts';
import type { RunSummary } from './children/load.ts';
import { printReport, type Results } from './lib/report.ts';

const env = process.env;
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);
const settings = {
  users: num('BENCH_USERS', 10_000),
  /** Intended seconds per measured load run. */
  seconds: num('BENCH_SECONDS', 8),
  signInConnections: num('BENCH_SIGNIN_CONNECTIONS', 16),
  signInWarmup: num('BENCH_SIGNIN_WARMUP', 600),
  /** Sign-in slices, each between two raw argon2id runs (lib/slices.ts). */
  signInSlices: num('BENCH_SIGNIN_SLICES', 3),
  /** Seconds of each raw argon2id run. */
  rawSeconds: num('BENCH_RAW_SECONDS', 3),
  /** Intended seconds of each sign-in slice. */
  signInSliceSeconds: num('BENCH_SIGNIN_SLICE_SECONDS', 4),
  resetConnections: (env.BENCH_RESET_CONNECTIONS ?? '16,64').split(',').map(Number),
  /** Reset requests before the measured runs, so the first of them finds the path compiled and the rate known. */
  resetWarmup: num('BENCH_RESET_WARMUP', 6000),
  probePerClass: num('BENCH_PROBE_PER_CLASS', 1000),
  /** How long to watch mail delivery at the end (the delivery rate is measured there). */
  mailWatchSeconds: num('BENCH_MAIL_WATCH_SECONDS', 10),
  /** `signin`: stop after the sign-in step; `reset`: only the reset-request runs (quick A/B runs; no report, no targets). */
  only: env.BENCH_ONLY,
};

const adminUrl = env.NYCKEL_DATABASE_URL || undefined;
const backend = adminUrl ? 'postgres' : 'embedded';
const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let serverLogFile: string | undefined;
let interrupted = false;
const cleanups: Array<() => Promise<unknown>> = [];
async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => log(`cleanup: ${String(err)}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cores = availableParallelism();
  log(`backend ${backend}${adminUrl ? ` (${new URL(adminUrl).host})` : ''}, ${cores} CPUs, load average ${loadavg()[0]?.toFixed(1)}, ${settings.users} users`);
  const dataDir = mkdtempSync(join(tmpdir(), 'nyckel-bench-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

  // 1. Database and seed.
  const db: BenchDatabase = await createBenchDatabase(adminUrl);
  cleanups.push(() => db.drop());
  const seeded = await seed({ dataDir, users: settings.users, ...(db.url ? { databaseUrl: db.url } : {}) });
  log(`seeded ${seeded.users} users in ${(seeded.ms / 1000).toFixed(1)} s${db.name ? ` into ${db.name}` : ''}`);

  // 2. The ceiling for sign-in: raw argon2id verifications/s in this process, before the server starts.
  const rawBefore = await rawVerifyRate(seeded.hash, PASSWORD, settings.signInConnections, settings.rawSeconds);
  const rawAtCores = await rawVerifyRate(seeded.hash, PASSWORD, cores, settings.rawSeconds);
  log(
    `raw argon2id verify: ${rawBefore.rate.toFixed(1)}/s at concurrency ${settings.signInConnections} (${rawBefore.cpuMsPerVerify.toFixed(1)} CPU ms each), ` +
      `${rawAtCores.rate.toFixed(1)}/s at ${cores} (${rawAtCores.cpuMsPerVerify.toFixed(1)} CPU ms each)`,
  );

  // 3. SMTP sink, server, load generator: three processes besides this one.
  const sink = await forkChild('children/smtp-sink.ts');
  cleanups.push(() => sink.close());
  const smtp = await sink.call<{ url: string }>('info');
  const big = 1_000_000_000;
  const serverConfig = {
    // Generous limits: this measures throughput, not throttling (the limiters still run on every request).
    limits: { codesPerAddressPerHour: big, resetRequestsPerIp: big, signInFailuresPerAccount: big, signInFailuresPerIp: big },
    flows: { ttlSeconds: 3600 },
    ...(env.BENCH_HASH_CONCURRENCY ? { hashing: { concurrency: Number(env.BENCH_HASH_CONCURRENCY) } } : {}),
  };
  const secret = randomBytes(32).toString('base64url');
  const server: ServerProcess = await startServer({ dataDir, secret, smtpUrl: smtp.url, config: serverConfig, ...(db.url ? { databaseUrl: db.url } : {}) });
  cleanups.push(() => server.stop());
  serverLogFile = server.logFile;
  log(`server pid ${server.pid} at ${server.url} (${server.pids().length} process${server.pids().length === 1 ? '' : 'es'})`);
  const load: Child = await forkChild('children/load.ts');
  cleanups.push(() => load.close());
  await load.call('init', { base: server.url });

  // CPU per process group during a measured step (PostgreSQL: this run's backends and the shared background
  // processes), and `other`: whatever else kept the machine busy meanwhile.
  const pgPids = async () => (adminUrl && db.name ? postgresPids(adminUrl, db.name) : []);
  async function measure<T>(fn: () => Promise<T>): Promise<{ result: T; cpu: CpuUse; walBytes?: number }> {
    // serverMainThread: the server's request thread(s) alone; the rest of `server` is argon2, GC and mail threads.
    const groups = { server: server.pids(), serverMainThread: server.pids().map((p) => `${p}/task/${p}`), load: [load.pid], smtpSink: [sink.pid], ...(adminUrl ? { postgres: await pgPids() } : {}) };
    const wal0 = adminUrl ? await walPosition(adminUrl) : undefined;
    const a = cpuSnapshot(groups);
    const result = await fn();
    const wal1 = adminUrl ? await walPosition(adminUrl) : undefined;
    const after = { ...groups, ...(adminUrl ? { postgres: [...new Set([...(groups.postgres ?? []), ...(await pgPids())])] } : {}) };
    return { result, cpu: cpuDiff(a, cpuSnapshot(after)), ...(wal0 !== undefined && wal1 !== undefined ? { walBytes: Number(wal1 - wal0) } : {}) };
  }

  // Step 6, reset requests (send code), defined here for BENCH_ONLY=reset: a warm-up (also sizes the flow pools),
  //    then at each connection count four half-length runs in ABBA order (existing, unknown, unknown, existing),
  //    each kind's two pooled into its result: whichever kind went first no longer takes the start of the series
  //    alone, and drift over the four runs falls on both kinds alike. Every run is printed. `offset` skips the
  //    addresses the probe used.
  async function runResets(offset: number): Promise<{ runs: Results['reset']; mails: number }> {
    let mails = 0;
    let estimate = 0;
    {
      const c = settings.resetConnections[0] ?? 16;
      await load.call('reset.prepare', { count: settings.resetWarmup });
      const warm = await load.call<RunSummary>('reset.run', { connections: c, kind: 'warm', offset, users: settings.users });
      mails += warm.ok;
      estimate = warm.rps;
      log(`reset warm-up: ${warm.rps.toFixed(0)} req/s`);
    }
    const runs: Results['reset'] = [];
    let at = 0;
    for (const connections of settings.resetConnections) {
      const parts: Record<'existing' | 'unknown', Array<{ run: RunSummary; cpu: CpuUse; walBytes?: number }>> = { existing: [], unknown: [] };
      for (const kind of ['existing', 'unknown', 'unknown', 'existing'] as const) {
        // One request per fresh flow; the pool is sized so the run lasts about half of `seconds` at the best rate so far.
        const count = Math.max(connections * 10, Math.round((estimate * settings.seconds) / 2));
        await load.call('reset.prepare', { count });
        const run = await measure(() => load.call<RunSummary>('reset.run', { connections, kind, offset: at, users: settings.users }));
        at += run.result.requests;
        mails += run.result.ok;
        estimate = Math.max(estimate, run.result.rps);
        parts[kind].push({ run: run.result, cpu: run.cpu, ...(run.walBytes !== undefined ? { walBytes: run.walBytes } : {}) });
        const each = Object.entries(run.cpu.ms).map(([k, v]) => `${k} ${(v / run.result.requests).toFixed(3)}`).join(', ');
        const wal = run.walBytes !== undefined ? `; WAL ${Math.round(run.walBytes / run.result.requests)} bytes per request` : '';
        log(
          `reset ${kind} @${connections} (${parts[kind].length} of 2): ${run.result.rps.toFixed(0)} req/s over ${run.result.seconds.toFixed(1)} s, p50 ${run.result.latencyMs.p50} ms, ` +
            `p99 ${run.result.latencyMs.p99} ms (${run.result.ok} ok, ${run.result.failed} failed); CPU ms per request: ${each}${wal}`,
        );
      }
      for (const kind of ['existing', 'unknown'] as const) {
        const pooled = pooledRuns(parts[kind]);
        const wal = parts[kind].every((p) => p.walBytes !== undefined) ? { walBytesPerRequest: parts[kind].reduce((a, p) => a + p.walBytes!, 0) / pooled.requests } : {};
        runs.push({ ...pooled, kind, parts: parts[kind].map((p) => p.run.rps), ...wal });
        log(`reset ${kind} @${connections}: ${pooled.rps.toFixed(0)} req/s (runs ${parts[kind].map((p) => p.run.rps.toFixed(0)).join(' and ')})`);
      }
    }
    return { runs, mails };
  }
  if (settings.only === 'reset') {
    await runResets(0);
    await cleanup();
    return;
  }

  // 4. Sign-in: hosted-page flows (cookie + CSRF token), successful sign-ins of distinct users.
  const signInWarm = settings.signInWarmup;
  await load.call('signin.prepare', { count: signInWarm });
  await load.call<RunSummary>('signin.run', { connections: settings.signInConnections, password: PASSWORD, offset: settings.users - signInWarm, users: settings.users });
  // Measured in slices between raw runs (lib/slices.ts): raw, sign-in, raw, …, raw, so the machine's drift
  // cancels out of each slice's ratio; the ratio reported is the median over the slices.
  const sliceCount = Math.max(1, Math.round(settings.signInSliceSeconds * Math.max(rawBefore.rate, rawAtCores.rate)));
  const raws: RawRate[] = [await rawVerifyRate(seeded.hash, PASSWORD, settings.signInConnections, settings.rawSeconds)];
  const slices: SignInSlice[] = [];
  for (let i = 0; i < settings.signInSlices; i++) {
    await load.call('signin.prepare', { count: Math.max(settings.signInConnections * 4, sliceCount) });
    const m = await measure(() => load.call<RunSummary>('signin.run', { connections: settings.signInConnections, password: PASSWORD, offset: i * sliceCount, users: settings.users }));
    raws.push(await rawVerifyRate(seeded.hash, PASSWORD, settings.signInConnections, settings.rawSeconds));
    const ratio = bracketedRatios([m.result], raws.slice(-2))[0]!;
    slices.push({ run: m.result, cpu: m.cpu, ratio });
    log(
      `sign-in slice ${i + 1}/${settings.signInSlices}: ${m.result.rps.toFixed(1)} req/s (${m.result.ok} ok, ${m.result.failed} failed) between raw ` +
        `${raws.at(-2)!.rate.toFixed(1)} and ${raws.at(-1)!.rate.toFixed(1)}/s: ratio ${ratio.toFixed(3)}; cores ${JSON.stringify(m.cpu.cores)}`,
    );
  }
  const signIn = pooledSlices(slices);
  const signInRatio = median(slices.map((x) => x.ratio));
  const rawAtLoad = pooledRaw(raws);
  log(`sign-in: ${signIn.rps.toFixed(1)} req/s over ${slices.length} slices, median ratio ${signInRatio.toFixed(3)} (raw @${settings.signInConnections} ${rawAtLoad.rate.toFixed(1)}/s on average)`);
  if (settings.only === 'signin') {
    const each = Object.entries(signIn.cpu.ms).map(([k, v]) => `${k} ${(v / signIn.requests).toFixed(2)}`).join(', ');
    log(`sign-in ratio ${signInRatio.toFixed(3)} (slices ${slices.map((x) => x.ratio.toFixed(3)).join(', ')}); CPU ms per sign-in: ${each}`);
    await cleanup();
    return;
  }

  // 5. The sequential timing probe — before the throughput runs, so the outbox holds only its own mail.
  let mailsExpected = 0;
  const warmup = 200;
  const probeFlows = await load.call<string[]>('reset.flows', { count: settings.probePerClass * 2 + warmup });
  const probe = await measure(() => runProbe({ base: server.url, flows: probeFlows, perClass: settings.probePerClass, users: settings.users, warmup }));
  mailsExpected += settings.probePerClass * 2 - probe.result.failures + warmup;
  log(
    `probe: medians ${probe.result.medianExistingMs.toFixed(3)} / ${probe.result.medianUnknownMs.toFixed(3)} ms, diff ${probe.result.medianDiffMs.toFixed(3)} ms, ` +
      `best threshold accuracy ${(probe.result.bestThreshold.accuracy * 100).toFixed(1)} %, cores ${JSON.stringify(probe.cpu.cores)}`,
  );

  const resets = await runResets(warmup);
  const resetRuns = resets.runs;
  mailsExpected += resets.mails;

  // 7. Mail: the dispatcher has been delivering all along; watch it for a while to measure its rate.
  const mailStats = () => sink.call<{ received: number; sessions: number; withCode: number }>('stats');
  const m0 = await mailStats();
  const watchStart = performance.now();
  let m1 = m0;
  while (performance.now() - watchStart < settings.mailWatchSeconds * 1000 && m1.received < mailsExpected) {
    await sleep(250);
    m1 = await mailStats();
  }
  const watched = (performance.now() - watchStart) / 1000;
  const mailRate = m1.received < mailsExpected ? (m1.received - m0.received) / watched : undefined;
  log(`mail: ${m1.received} of ${mailsExpected} delivered${mailRate !== undefined ? `, delivering ${mailRate.toFixed(0)}/s` : ''}`);

  const peakRss = server.peakRssKiB();
  await cleanup();

  const results: Results = {
    at: new Date().toISOString(),
    backend,
    machine: { cpus: cores, cpuModel: cpus()[0]?.model ?? '', memoryMiB: Math.round(totalmem() / 2 ** 20), node: process.version, loadAverageAtEnd: loadavg()[0] ?? 0 },
    settings,
    seed: { users: seeded.users, seconds: seeded.ms / 1000 },
    rawArgon2: { atLoadConcurrency: rawAtLoad, brackets: raws, atCores: rawAtCores },
    signIn: { ...signIn, slices: slices.map((x) => ({ rps: x.run.rps, ok: x.run.ok, failed: x.run.failed, ratio: x.ratio })), ratioToRaw: signInRatio, ratioToBestRaw: signIn.rps / Math.max(rawAtLoad.rate, rawAtCores.rate) },
    reset: resetRuns,
    probe: { ...probe.result, cpu: probe.cpu },
    mail: { expected: mailsExpected, delivered: m1.received, withCode: m1.withCode, smtpSessions: m1.sessions, backlogAtEnd: Math.max(0, mailsExpected - m1.received), ...(mailRate !== undefined ? { deliveryPerSecond: mailRate } : {}) },
    peakRssMiB: peakRss !== undefined ? peakRss / 1024 : undefined,
    totalSeconds: (performance.now() - t0) / 1000,
  };
  const ok = printReport(results);
  const outDir = fileURLToPath(new URL('../.bench/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(results, null, 2) + '\n';
  writeFileSync(join(outDir, 'results.json'), json);
  writeFileSync(join(outDir, `results-${backend}.json`), json); // the last run of each backend, side by side
  log(`wrote .bench/results.json and .bench/results-${backend}.json (${results.totalSeconds.toFixed(0)} s)`);
  // A missed target is a result, not a crash; BENCH_STRICT=1 turns it into a failing exit code (CI).
  process.exitCode = ok || env.BENCH_STRICT !== '1' ? 0 : 1;
}

main().catch(async (err: unknown) => {
  if (interrupted) return; // the signal handler cleans up and exits
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (serverLogFile) {
    // Kept for a post-mortem: the run's temp directory is removed by the cleanup.
    const keep = fileURLToPath(new URL('../.bench/server.log', import.meta.url));
    mkdirSync(dirname(keep), { recursive: true });
    copyFileSync(serverLogFile, keep);
    log(`server log (tail; whole log in .bench/server.log):\n${tail(serverLogFile)}`);
  }
  await cleanup();
  process.exitCode = 2;
});
