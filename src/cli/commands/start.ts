// `nyckel start`: runs the server. First start seeds the demo tenant and prints the admin token and the demo
// customer's password once. SIGINT/SIGTERM stop it gracefully (in-flight requests finish).
//
// With PostgreSQL it can run several server processes (node:cluster workers sharing the port; NYCKEL_WORKERS,
// a number or `auto` = one per CPU; default 1), so one JavaScript thread is not the ceiling: everything they share — flows, codes,
// limits, mail leases, sessions, keys — is in the database (or Redis), and directory changes reach every
// process by notification. The primary only migrates, seeds, prints and supervises (restarting a worker that
// dies). Embedded PGlite admits one process, so it always runs one. On 2 cores one process is faster (its
// concurrent requests share statements, see store/batcher.ts); more pay off with more cores.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createApp, type NyckelApp } from '../../app.ts';
import type { Config } from '../../config/schema.ts';
import { insecureSettings } from '../../config/schema.ts';
import { randomToken } from '../../security/secrets.ts';
import { seedOnFirstStart } from '../../directory/seed-demo.ts';
import { runNowUrl } from '../../oidc/index.ts';
import { CliError, removeServerFile, writeServerFile, type CliContext } from '../context.ts';
import type { Command } from '../registry.ts';

export const command: Command = {
  usage: 'start   (serve on NYCKEL_PORT, default 8080; data in NYCKEL_DATA_DIR or NYCKEL_DATABASE_URL; NYCKEL_WORKERS processes)',
  options: {},
  async run(ctx) {
    const config = ctx.config;
    const workers = workerCount(config);
    if (cluster.isWorker) return runWorker(config);
    if (config.workers !== undefined && config.workers !== 1 && !config.databaseUrl) ctx.err('NYCKEL_WORKERS needs PostgreSQL (NYCKEL_DATABASE_URL); running one process');
    if (workers > 1) return runPrimary(ctx, workers);
    const localToken = randomToken(24);
    const nyckel = await createApp(config, { localToken });
    try {
      for (const warning of insecureSettings(config)) nyckel.services.log.warn(`insecure setting: ${warning}`);
      const banner = await prepare(ctx.config, nyckel);
      const bound = await listen(nyckel, config);
      ctx.out(banner(bound, 1));
      writeServerFile(config, { url: bound, pid: process.pid, token: localToken });
      await stopSignal();
      ctx.out('Nyckel is stopping: finishing requests in flight…');
    } finally {
      removeServerFile(config);
      await nyckel.close();
    }
    return 0;
  },
};

function workerCount(config: Config): number {
  if (!config.databaseUrl) return 1;
  const w = config.workers ?? 1;
  return w === 'auto' ? availableParallelism() : w;
}

/** Seeds on first start; returns the banner printer (what runs where, the credentials shown once). */
async function prepare(config: Config, nyckel: NyckelApp): Promise<(bound: string, processes: number) => string> {
  const seeded = await seedOnFirstStart(nyckel.store.db, nyckel.services.hasher, { demo: config.seedDemo });
  // Run now: the demo flow through a built-in test app that shows the resulting token.
  const demo = await runNowUrl(nyckel.services, 'contoso', 'B2C_1_signin').catch(() => undefined);
  const base = config.publicUrl.replace(/\/$/, '');
  return (bound, processes) => {
    const where = config.databaseUrl ? `PostgreSQL, ${processes} server process${processes === 1 ? '' : 'es'}` : `embedded database in ${config.dataDir}`;
    const lines = ['', `Nyckel is running at ${base} (${where}; listening on ${bound})`, `  Demo sign-in page:   ${base}/contoso/B2C_1_signin/signin`];
    if (demo) lines.push(`  Run now (test app):  ${demo}`);
    if (config.devInbox ?? !config.smtpUrl) lines.push(`  Dev inbox (mail):    ${base}/dev/mail`);
    if (seeded.adminToken) lines.push(`  Admin API token (shown once, keep it): ${seeded.adminToken}`);
    if (seeded.demo) lines.push(`  Demo customer (shown once): ${seeded.demo.email} / ${seeded.demo.password}`);
    lines.push('  Turn on self-service password reset: npx nyckel sspr --tenant contoso --mode all', '');
    return lines.join('\n');
  };
}

const stopSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

type WorkerMessage = { type: 'listening'; url: string };

async function runPrimary(ctx: CliContext, workers: number): Promise<number> {
  const config = ctx.config;
  const localToken = randomToken(24);
  // One-off work before any worker starts: migrations (createApp), the demo seed, the banner's links.
  const setup = await createApp(config, { dispatch: false });
  let banner: (bound: string, processes: number) => string;
  try {
    for (const warning of insecureSettings(config)) setup.services.log.warn(`insecure setting: ${warning}`);
    banner = await prepare(config, setup);
  } finally {
    await setup.close();
  }

  let stopping = false;
  const env = { NYCKEL_CLUSTER_SIZE: String(workers), NYCKEL_LOCAL_TOKEN: localToken };
  const listening = new Map<number, string>();
  let announce: ((url: string) => void) | undefined;
  const allListening = new Promise<string>((resolve) => (announce = resolve));
  const fork = (): Worker => {
    const worker = cluster.fork(env);
    worker.on('message', (m: WorkerMessage) => {
      if (m?.type !== 'listening') return;
      listening.set(worker.id, m.url);
      if (listening.size === workers) announce?.(m.url);
    });
    return worker;
  };
  // A worker that dies outside a stop is replaced, after a pause that grows while they keep dying.
  let recentDeaths: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    if (stopping) return;
    const now = Date.now();
    recentDeaths = [...recentDeaths.filter((t) => now - t < 60_000), now];
    const delay = Math.min(30_000, 500 * 2 ** (recentDeaths.length - 1));
    ctx.err(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${delay} ms`);
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });
  for (let i = 0; i < workers; i++) fork();

  const bound = await Promise.race([allListening, stopSignal().then(() => undefined)]);
  if (bound) {
    ctx.out(banner(bound, workers));
    writeServerFile(config, { url: bound, pid: process.pid, token: localToken });
    await stopSignal();
  }
  stopping = true;
  ctx.out('Nyckel is stopping: finishing requests in flight…');
  removeServerFile(config);
  const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  await Promise.all(
    running.map(
      (w) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => w.process.kill('SIGKILL'), 20_000);
          w.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          w.process.kill('SIGTERM');
        }),
    ),
  );
  return 0;
}

async function runWorker(config: Config): Promise<number> {
  const size = Number(process.env.NYCKEL_CLUSTER_SIZE) || 1;
  // The CPUs are shared by the workers: each runs its share of argon2 hashes at once, unless configured.
  const concurrency = config.hashing.concurrency ?? Math.max(1, Math.round(availableParallelism() / size));
  const token = process.env.NYCKEL_LOCAL_TOKEN;
  const nyckel = await createApp({ ...config, hashing: { ...config.hashing, concurrency } }, token ? { localToken: token } : {});
  try {
    const bound = await listen(nyckel, config);
    process.send?.({ type: 'listening', url: bound } satisfies WorkerMessage);
    // Stop on a signal (terminal Ctrl-C reaches every process; the primary sends SIGTERM) or if the primary dies.
    await Promise.race([stopSignal(), new Promise<void>((resolve) => process.once('disconnect', () => resolve()))]);
  } finally {
    await nyckel.close();
    // The IPC channel to the primary would keep this process alive.
    if (process.connected) process.disconnect();
  }
  return 0;
}

/** Listens, or says in one line why it cannot: a port in use or not allowed is the operator's to change. */
async function listen(nyckel: NyckelApp, config: Config): Promise<string> {
  try {
    return await nyckel.listen();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const where = `${config.host}:${config.port}`;
    if (code === 'EADDRINUSE') throw new CliError(`cannot listen on ${where}: the port is in use (another Nyckel?); set NYCKEL_PORT to a free port`);
    if (code === 'EACCES') throw new CliError(`cannot listen on ${where}: not allowed to use that port; set NYCKEL_PORT to 1024 or above`);
    if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${where}: no such address on this machine; check NYCKEL_HOST`);
    throw err;
  }
}
