// `nyckel start` with NYCKEL_WORKERS on PostgreSQL: several server processes share the port, state and
// directory changes; SIGTERM to the primary stops every worker gracefully. (Embedded PGlite admits one
// process; there the setting is ignored with a warning.)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, createCliEnv, type CliEnv } from '../fixtures/cli.ts';

const pg = Boolean(process.env.NYCKEL_TEST_DATABASE_URL);

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('nyckel start with several workers', () => {
  let cli: CliEnv;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    cli = await createCliEnv();
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await cli.cleanup();
  });

  it.skipIf(!pg)('serves from every worker, applies another process\'s directory change, and stops them all on SIGTERM', async () => {
    server = spawn(process.execPath, [BIN, 'start'], { env: { ...cli.env, NYCKEL_PORT: '0', NYCKEL_WORKERS: '2', NYCKEL_SEED_DEMO: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => server?.on('close', (code) => resolve(code ?? -1)));
    const file = join(cli.dataDir, 'server.json');
    const deadline = Date.now() + 60_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/PostgreSQL, 2 server processes/);
    const { url } = JSON.parse(readFileSync(file, 'utf8')) as { url: string };
    const workers = childPids(server.pid!);
    expect(workers.length).toBeGreaterThanOrEqual(2);

    // Many connections (no keep-alive), so both workers answer; a directory change made by the CLI (its own
    // process, straight to the database) shows on every one of them at once.
    const page = () => fetch(`${url}/contoso/B2C_1_signin/signin`, { headers: { connection: 'close' } }).then((r) => r.text());
    expect((await Promise.all(Array.from({ length: 6 }, page))).some((p) => p.includes('Forgot your password?'))).toBe(false);
    expect((await cli.run(['sspr', '--tenant', 'contoso', '--mode', 'all'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect((await Promise.all(Array.from({ length: 12 }, page))).every((p) => p.includes('Forgot your password?'))).toBe(true);

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    server = undefined;
  });
});
