// The Nyckel server under test, as a separate process started the way an operator starts it
// (`node bin/nyckel.cjs start`), configured only through NYCKEL_* variables and a NYCKEL_CONFIG file.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakRssKiB, processTree } from './proc.ts';

const nyckelBin = fileURLToPath(new URL('../../bin/nyckel.cjs', import.meta.url));

export interface ServerProcess {
  url: string;
  pid: number;
  logFile: string;
  /** The server's processes: the one started, and its cluster workers. */
  pids(): number[];
  /** Sum of the peak resident sets of the server's processes. */
  peakRssKiB(): number | undefined;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const address = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startServer(opts: { dataDir: string; secret: string; databaseUrl?: string; smtpUrl?: string; config: Record<string, unknown> }): Promise<ServerProcess> {
  const port = await freePort();
  const configFile = join(opts.dataDir, 'bench-config.json');
  writeFileSync(configFile, JSON.stringify(opts.config, null, 2));
  // Nothing NYCKEL_* from the caller's shell leaks in: the run's own database, secret and mail only.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NYCKEL_')));
  Object.assign(env, {
    NYCKEL_PORT: String(port),
    NYCKEL_HOST: '127.0.0.1',
    NYCKEL_DATA_DIR: opts.dataDir,
    NYCKEL_SECRET: opts.secret,
    NYCKEL_LOG_LEVEL: 'warn',
    NYCKEL_SEED_DEMO: 'true',
    NYCKEL_CONFIG: configFile,
    ...(opts.databaseUrl ? { NYCKEL_DATABASE_URL: opts.databaseUrl } : {}),
    ...(opts.smtpUrl ? { NYCKEL_SMTP_URL: opts.smtpUrl } : {}),
    ...(process.env.BENCH_SERVER_WORKERS ? { NYCKEL_WORKERS: process.env.BENCH_SERVER_WORKERS } : {}),
  });
  const logFile = join(opts.dataDir, 'server.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean), nyckelBin, 'start'], {
    env,
    stdio: ['ignore', fd, fd],
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
  });
  closeSync(fd);
  let exitCode: number | null | undefined;
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code;
      if (!stopping) process.stderr.write(`[bench] the server exited unexpectedly (code ${code}, signal ${signal}); see its log\n`);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`server exited during start (code ${exitCode}):\n${tail(logFile)}`);
    try {
      // Ready = answering, and the banner printed (with several workers: once every worker listens).
      const res = await fetch(`${url}/readyz`);
      if (res.ok && readFileSync(logFile, 'utf8').includes('Nyckel is running')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after 90 s:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    logFile,
    pids: () => processTree(pid),
    peakRssKiB: () => {
      const peaks = processTree(pid).map(peakRssKiB);
      return peaks.every((p) => p === undefined) ? undefined : peaks.reduce<number>((a, b) => a + (b ?? 0), 0);
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
