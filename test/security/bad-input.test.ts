// "Bad input gets a clear error and loses nothing": malformed, oversized or hostile input is a 4xx with a
// message code — never a 500, never a partial write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf } from '../fixtures/browserless.ts';
import { newResetFlow } from '../fixtures/reset-api.ts';
import { createAdminToken } from '../../src/admin/auth.ts';

describe('hostile input', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    await t.setSspr('all');
    token = await createAdminToken(t.nyckel.store.db, 'test');
  });
  afterAll(async () => t.close());

  async function counts() {
    const db = t.nyckel.store.db;
    const n = async (table: 'users' | 'verification_codes' | 'outbox' | 'identities' | 'groups' | 'tenants') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    return { users: await n('users'), codes: await n('verification_codes'), outbox: await n('outbox'), identities: await n('identities'), groups: await n('groups'), tenants: await n('tenants') };
  }

  async function expect4xx(res: Response, label: string) {
    const text = await res.text();
    expect(res.status, `${label}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
    expect(res.status, label).toBeLessThan(500);
    const json = JSON.parse(text) as { error?: { code?: string } };
    expect(json.error?.code, label).toMatch(/^[a-z_]+(\.[a-z_]+)*$/);
  }

  it('reset API: arrays, objects, unknown fields, oversized, control characters, broken JSON', async () => {
    const flow = await newResetFlow(t);
    const url = `${t.url}/contoso/B2C_1_signin/password-reset?flow=${flow.id}`;
    const before = await counts();
    const bodies: Array<[string, string]> = [
      ['array', JSON.stringify({ action: 'send_code', email: ['a@example.com', 'b@example.com'] })],
      ['object', JSON.stringify({ action: 'send_code', email: { $ne: '' } })],
      ['unknown action', JSON.stringify({ action: 'drop_tables', email: 'a@example.com' })],
      ['extra field', JSON.stringify({ action: 'send_code', email: 'a@example.com', admin: true })],
      ['control chars', JSON.stringify({ action: 'send_code', email: 'a@example.com\u0000' })],
      ['oversized field', JSON.stringify({ action: 'send_code', email: `${'a'.repeat(5000)}@example.com` })],
      ['oversized body', JSON.stringify({ action: 'send_code', email: 'a@example.com', pad: 'x'.repeat(200_000) })],
      ['broken JSON', '{"action": "send_code", "email": '],
      ['not an object', '"send_code"'],
      ['null', 'null'],
      ['number', '42'],
    ];
    for (const [label, body] of bodies) {
      await expect4xx(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body }), label);
    }
    // Repeated form fields arrive as arrays: refused, not "first wins".
    await expect4xx(
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: 'action=send_code&email=a@example.com&email=b@example.com' }),
      'repeated form field',
    );
    await expect4xx(await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml', accept: 'application/json' }, body: '<x/>' }), 'media type');
    expect(await counts()).toEqual(before);
  });

  it('hosted page: repeated form fields and hostile flow ids', async () => {
    const b = new Browserless(t.url);
    const page = await b.get('/contoso/B2C_1_signin/password-reset');
    const f = formOf(page.body);
    const res = await b.request(f.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: `csrf_token=${f.csrf}&action=send_code&email=a%40example.com&email=b%40example.com`,
    });
    await expect4xx(res, 'repeated email');
    for (const flow of ["'; drop table flows; --", 'x'.repeat(300), '../../etc/passwd', '%00']) {
      await expect4xx(await fetch(`${t.url}/contoso/B2C_1_signin/password-reset?flow=${encodeURIComponent(flow)}`, { headers: { accept: 'application/json' } }), `flow ${flow}`);
    }
    await expect4xx(await fetch(`${t.url}/contoso/B2C_1_signin/password-reset?flow=a&flow=b`, { headers: { accept: 'application/json' } }), 'two flow ids');
    await expect4xx(await fetch(`${t.url}/contoso/B2C_1_signin/signin?ui_locales=${'x'.repeat(500)}`, { headers: { accept: 'application/json' } }), 'long ui_locales');
    await expect4xx(await fetch(`${t.url}/${'t'.repeat(300)}/B2C_1_signin/signin`, { headers: { accept: 'application/json' } }), 'long tenant');
    await expect4xx(await fetch(`${t.url}/nope/B2C_1_signin/signin`, { headers: { accept: 'application/json' } }), 'unknown tenant');
    await expect4xx(await fetch(`${t.url}/contoso/B2C_1_nope/signin`, { headers: { accept: 'application/json' } }), 'unknown policy');
  });

  it('sign-in: oversized password is refused before hashing, arrays are refused', async () => {
    const flow = (await (await fetch(`${t.url}/contoso/B2C_1_signin/signin/api`, { method: 'POST', headers: { accept: 'application/json' } })).json()) as { id: string };
    const url = `${t.url}/contoso/B2C_1_signin/signin?flow=${flow.id}`;
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    await expect4xx(await post({ identifier: 'a@example.com', password: 'x'.repeat(5000) }), 'long password');
    await expect4xx(await post({ identifier: ['a@example.com'], password: 'x' }), 'array identifier');
  });

  it('admin API: no token, bad token, bad bodies — and nothing is written', async () => {
    const before = await counts();
    const admin = (method: string, path: string, body?: string, auth = `Bearer ${token}`) =>
      fetch(`${t.url}${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body !== undefined ? { body } : {}) });
    await expect4xx(await admin('GET', '/admin/api/tenants', undefined, ''), 'no token');
    await expect4xx(await admin('GET', '/admin/api/tenants', undefined, 'Bearer nyk_wrongwrongwrongwrongwrong'), 'bad token');
    await expect4xx(await admin('POST', '/admin/api/tenants', JSON.stringify({ name: 'Bad Name!' })), 'tenant name');
    await expect4xx(await admin('POST', '/admin/api/tenants', JSON.stringify({ name: ['a', 'b'] })), 'tenant array');
    await expect4xx(await admin('PUT', '/admin/api/tenants/contoso/sspr', JSON.stringify({ mode: 'everyone' })), 'sspr mode');
    await expect4xx(await admin('PUT', '/admin/api/tenants/contoso/sspr', JSON.stringify({ mode: 'selected' })), 'selected without groups');
    await expect4xx(await admin('PUT', '/admin/api/tenants/contoso/sspr', JSON.stringify({ mode: 'selected', groups: ['no-such-group'] })), 'unknown group');
    await expect4xx(await admin('POST', '/admin/api/tenants/contoso/users', JSON.stringify({ email: 'ｆｕｌｌ@example.com', password: 'Good-Passw0rd!' })), 'fullwidth email');
    await expect4xx(await admin('POST', '/admin/api/tenants/contoso/users', JSON.stringify({ email: 'ok@example.com', username: 'bad name', password: 'Good-Passw0rd!' })), 'bad username');
    await expect4xx(await admin('POST', '/admin/api/tenants/contoso/users', JSON.stringify({ email: 'ok@example.com', password: 'x'.repeat(2000) })), 'long password');
    await expect4xx(await admin('POST', '/admin/api/tenants/contoso/groups/nope/members', JSON.stringify({ user: 'ok@example.com' })), 'unknown group member');
    await expect4xx(await admin('GET', '/admin/api/tenants/contoso/audit?limit=-1'), 'audit limit');
    expect(await counts()).toEqual(before);
    // The setting is unchanged by the refused updates.
    const sspr = (await (await admin('GET', '/admin/api/tenants/contoso/sspr')).json()) as { mode: string };
    expect(sspr.mode).toBe('all');
  });

  it('a duplicate user (same canonical email) is a 409 and writes nothing', async () => {
    const admin = (body: object) => fetch(`${t.url}/admin/api/tenants/contoso/users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await admin({ email: 'dup@example.com', password: 'Good-Passw0rd!' })).status).toBe(201);
    const before = await counts();
    const again = await admin({ email: ' DUP@Example.COM ', username: 'fresh', password: 'Good-Passw0rd!' });
    expect(again.status).toBe(409);
    expect(await counts()).toEqual(before);
  });
});
