// What an outbox row holds. Since migration 007 a row keeps what its mail is rendered from (template, locale,
// params), not the rendered bodies: a code mail's row is a few hundred bytes, not a 2 KB body copied into every
// version of the row. Rows queued before it keep their bodies, compressed with lz4 where PostgreSQL has it and
// pglz where it does not (migration 005, PGlite): the migrations succeed on both, and such a body reads back whole.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';
import { enqueueMail } from '../../src/mail/outbox.ts';
import { renderMail } from '../../src/mail/templates.ts';

let t: TestStore | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

describe('outbox rows', () => {
  it('hold the params a mail is rendered from, not its bodies: a code mail is a small row', async () => {
    t = await createTestStore();
    const db = t.store.db;
    const params = { tenantName: 'Contoso', code: '123456', minutes: 10 };
    const id = await enqueueMail(db, { tenantId: null, template: 'reset_code', recipient: 'alice@example.com', locale: 'sv', params, holdsSecret: true });
    const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ template: 'reset_code', locale: 'sv', params, body_text: null, body_html: null, holds_secret: true });
    expect(row.subject).toBe(renderMail('reset_code', 'sv', params).subject);
    const size = await sql<{ n: number }>`select pg_column_size(o.*)::int as n from outbox o where id = ${id}::uuid`.execute(db);
    expect(size.rows[0]!.n).toBeLessThan(500);
    expect(renderMail('reset_code', 'en', params).html.length).toBeGreaterThan(1500); // what each row used to carry
  });

  it('refuses at enqueue a mail that cannot be rendered, so it fails its step instead of dying in the outbox', async () => {
    t = await createTestStore();
    const db = t.store.db;
    await expect(enqueueMail(db, { tenantId: null, template: 'reset_code', recipient: 'alice@example.com', locale: 'en', params: { tenantName: 'Contoso', minutes: 10 }, holdsSecret: true })).rejects.toThrow(/missing code/);
    expect(await db.selectFrom('outbox').select('id').execute()).toHaveLength(0);
  });

  it('compresses the bodies of rows from before migration 007 with lz4 on PostgreSQL built with it, pglz elsewhere; they read back whole', async () => {
    t = await createTestStore();
    const db = t.store.db;
    const { rows } = await sql<{ attname: string; attcompression: string }>`
      select attname, attcompression from pg_attribute
      where attrelid = 'outbox'::regclass and attname in ('body_text', 'body_html') order by attname`.execute(db);
    const lz4 = testDatabaseUrl ? (await sql<{ lz4: boolean }>`select exists (select 1 from pg_config where name = 'CONFIGURE' and setting like '%with-lz4%') as lz4`.execute(db)).rows[0]!.lz4 : false;
    expect(rows.map((r) => r.attcompression)).toEqual(lz4 ? ['l', 'l'] : ['', '']);
    if (testDatabaseUrl) expect(lz4).toBe(true); // Debian's PostgreSQL (CI's) is built with lz4: the setting must have taken

    const mail = renderMail('reset_code', 'en', { tenantName: 'Contoso '.repeat(40), code: '123456', minutes: 10 });
    const id = '00000000-0000-4000-8000-0000000000c5';
    await db.insertInto('outbox').values({ id, tenant_id: null, template: 'reset_code', recipient: 'alice@example.com', locale: 'en', subject: mail.subject, body_text: mail.text, body_html: mail.html, holds_secret: true }).execute();
    const row = await db.selectFrom('outbox').select(['body_text', 'body_html']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.body_html!.length).toBeGreaterThan(2000); // large enough to be compressed
    const method = await sql<{ m: string | null }>`select pg_column_compression(body_html) as m from outbox where id = ${id}`.execute(db);
    expect(method.rows[0]!.m).toBe(lz4 ? 'lz4' : 'pglz');
    expect(row).toEqual({ body_text: mail.text, body_html: mail.html });
  });
});
