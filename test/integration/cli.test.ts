// The `nyckel` CLI as operators use it: a real process, one clear error line and a non-zero exit on failure,
// and the same commands working while a server owns the embedded database.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, createCliEnv, type CliEnv } from '../fixtures/cli.ts';

describe('nyckel CLI', () => {
  let cli: CliEnv;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let run: CliEnv['run'];

  beforeAll(async () => {
    cli = await createCliEnv();
    ({ dataDir, env, run } = cli);
  });
  afterAll(async () => cli.cleanup());

  it('creates a tenant, a user (password from stdin), a group, a member, and sets SSPR', async () => {
    expect((await run(['migrate'])).code).toBe(0);
    const tenant = await run(['tenant', 'create', 'fabrikam', '--display-name', 'Fabrikam']);
    expect(tenant.stdout).toContain('created tenant fabrikam (fabrikam.onmicrosoft.com');
    const user = await run(['user', 'create', '--tenant', 'fabrikam', '--email', 'Ann@Fabrikam.com', '--password-stdin', '--json'], 'Strong-Passw0rd!\n');
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ mail: 'ann@fabrikam.com', identities: [{ signInType: 'emailAddress', issuerAssignedId: 'Ann@Fabrikam.com' }] });
    expect(user.stdout).not.toContain('Strong-Passw0rd');
    expect((await run(['group', 'create', '--tenant', 'fabrikam', 'Pilot'])).code).toBe(0);
    expect((await run(['group', 'add', '--tenant', 'fabrikam', '--group', 'pilot', '--user', 'ann@fabrikam.com'])).stdout).toContain('to group Pilot');
    expect((await run(['sspr', '--tenant', 'fabrikam'])).stdout.trim()).toBe('self-service password reset: none');
    const selected = await run(['sspr', '--tenant', 'fabrikam.onmicrosoft.com', '--mode', 'selected', '--group', 'Pilot']);
    expect(selected.stdout.trim()).toBe('self-service password reset: selected (groups: Pilot)');
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sspr', '--tenant', 'nope', '--mode', 'all'], /directory was not found/],
      [['sspr', '--tenant', 'fabrikam', '--mode', 'everyone'], /--mode must be none, selected or all/],
      [['sspr', '--tenant', 'fabrikam', '--mode', 'selected'], /sspr\.groups_required/],
      [['user', 'create', '--tenant', 'fabrikam', '--email', 'ann@fabrikam.com', '--password-stdin'], /user\.identifier_taken/],
      [['tenant', 'create'], /exactly one tenant name/],
      [['group', 'add', '--tenant', 'fabrikam', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, 'Strong-Passw0rd!');
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect((await run(['frobnicate'])).code).toBe(2);
  });

  it('says in one line that the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const own = await createCliEnv();
    try {
      const r = await own.run(['start'], undefined, { NYCKEL_PORT: String((taken.address() as { port: number }).port) });
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is in use .*NYCKEL_PORT/);
      expect(existsSync(join(own.dataDir, 'pgdata.lock'))).toBe(false); // released on the way out
    } finally {
      taken.close();
      await own.cleanup();
    }
  });

  it('works through the running server, which stops gracefully on SIGTERM', async () => {
    const server = spawn(process.execPath, [BIN, 'start'], { env: { ...env, NYCKEL_PORT: '0', NYCKEL_SEED_DEMO: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => server.on('close', (code) => resolve(code ?? -1)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(dataDir, 'server.json')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const { url } = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { url: string };
    expect(out).toMatch(/Demo customer \(shown once\): demo@contoso\.com \/ \S+/);
    expect(out).toMatch(/Admin API token \(shown once, keep it\): nyk_/);

    const before = await (await fetch(`${url}/contoso/B2C_1_signin/signin`)).text();
    expect(before).not.toContain('Forgot your password?');
    const r = await run(['sspr', '--tenant', 'contoso', '--mode', 'all']);
    expect(r.code, r.stderr).toBe(0);
    const after = await (await fetch(`${url}/contoso/B2C_1_signin/signin`)).text();
    expect(after).toContain('Forgot your password?');

    if (!env.NYCKEL_DATABASE_URL) {
      // A second `start` on the same embedded database is refused before it opens anything, and leaves the
      // running server (and the CLI's way to it) alone.
      const second = await run(['start'], undefined, { NYCKEL_PORT: '0' });
      expect(second.code).not.toBe(0);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(/the embedded database is in use by process \d+ \(is Nyckel already running\?/);
      expect(existsSync(join(dataDir, 'server.json'))).toBe(true);
      expect((await run(['sspr', '--tenant', 'contoso', '--mode', 'all'])).code).toBe(0);
    }

    // Requests in flight when SIGTERM arrives still get their answer.
    const inflight = Array.from({ length: 8 }, () => fetch(`${url}/contoso/B2C_1_signin/signin/api`, { method: 'POST', headers: { accept: 'application/json' } }).then((res) => res.status));
    await new Promise((r) => setTimeout(r, 5));
    server.kill('SIGTERM');
    const statuses = await Promise.all(inflight.map((p) => p.catch(() => 0)));
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 201 || s === 503 || s === 0)).toBe(true);
    expect(await exited).toBe(0);
    expect(out).toContain('Nyckel is stopping');
    expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
  });
});
