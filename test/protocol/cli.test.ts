// The apps commands of the `nyckel` CLI as a real process: app create (secret shown once; --json is exactly
// one JSON object), flow create/set/run-url, keys rotate, dev-cert.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliEnv, type CliEnv } from '../fixtures/cli.ts';

describe('nyckel app / flow / keys / dev-cert', () => {
  let cli: CliEnv;
  let dataDir: string;
  let run: CliEnv['run'];

  beforeAll(async () => {
    cli = await createCliEnv({ NYCKEL_PUBLIC_URL: 'https://id.example.com' });
    ({ dataDir, run } = cli);
  });
  afterAll(async () => cli.cleanup());

  it('creates applications and prints the web secret once', async () => {
    expect((await run(['tenant', 'create', 'fabrikam'])).code).toBe(0);
    const web = await run(['app', 'create', '--tenant', 'fabrikam', '--name', 'Web', '--type', 'web', '--redirect-uri', 'https://app.example.com/signin-oidc', '--redirect-uri', 'http://localhost:5000/cb', '--json']);
    expect(web.code, web.stderr).toBe(0);
    expect(web.stdout.trim().split('\n')).toHaveLength(1);
    const created = JSON.parse(web.stdout) as { client_id: string; client_secret: string };
    expect(Object.keys(created).sort()).toEqual(['client_id', 'client_secret']);
    expect(created.client_secret.length).toBeGreaterThanOrEqual(43);
    const spa = await run(['app', 'create', '--tenant', 'fabrikam', '--name', 'Spa', '--type', 'spa', '--redirect-uri', 'https://spa.example.com/']);
    expect(spa.stdout).toMatch(/client id: +[0-9a-f-]{36}/);
    expect(spa.stdout).not.toContain('secret');
    const list = await run(['app', 'list', '--tenant', 'fabrikam']);
    expect(list.stdout).toContain(created.client_id);
    expect(list.stdout).not.toContain(created.client_secret);
    const bad = await run(['app', 'create', '--tenant', 'fabrikam', '--name', 'X', '--type', 'web', '--redirect-uri', 'http://example.com/cb']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('creates and updates user flows and prints a Run now URL', async () => {
    const created = await run(['flow', 'create', '--tenant', 'fabrikam', '--name', 'reset', '--type', 'passwordReset']);
    expect(created.stdout.trim()).toBe('created user flow B2C_1_reset (passwordReset)');
    const set = await run(['flow', 'set', '--tenant', 'fabrikam', '--flow', 'b2c_1_signin', '--settings', '{"passwordReset":"legacy","tokenLifetimes":{"idTokenMinutes":30}}', '--json']);
    expect(JSON.parse(set.stdout)).toMatchObject({ name: 'B2C_1_signin', settings: { passwordReset: 'legacy', tokenLifetimes: { idTokenMinutes: 30 } } });
    const url = await run(['flow', 'run-url', '--tenant', 'fabrikam', '--flow', 'B2C_1_signin']);
    expect(url.code, url.stderr).toBe(0);
    const parsed = new URL(url.stdout.trim());
    expect(parsed.origin + parsed.pathname).toBe('https://id.example.com/fabrikam/B2C_1_signin/oauth2/v2.0/authorize');
    expect(parsed.searchParams.get('redirect_uri')).toBe('https://id.example.com/fabrikam/runnow/callback');
    expect((await run(['flow', 'run-url', '--tenant', 'fabrikam', '--flow', 'B2C_1_nope'])).code).not.toBe(0);
  });

  it('rotates signing keys', async () => {
    const first = JSON.parse((await run(['keys', 'rotate', '--tenant', 'fabrikam', '--json'])).stdout) as { kid: string; retired: string };
    const second = JSON.parse((await run(['keys', 'rotate', '--tenant', 'fabrikam', '--json'])).stdout) as { kid: string; retired: string };
    expect(second.retired).toBe(first.kid);
    expect(second.kid).not.toBe(first.kid);
  });

  it('writes a local CA and a localhost certificate signed by it', async () => {
    const out = join(dataDir, 'certs');
    const r = await run(['dev-cert', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const ca = new X509Certificate(readFileSync(join(out, 'ca.pem')));
    const cert = new X509Certificate(readFileSync(join(out, 'cert.pem')));
    expect(ca.ca).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(statSync(join(out, 'key.pem')).mode & 0o077).toBe(0);
  });
});
