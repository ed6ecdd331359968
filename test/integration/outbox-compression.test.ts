// Migration 005: outbox bodies are compressed with lz4 where PostgreSQL has it, and left to pglz where it does
// not (PGlite): the migration succeeds on both, and a mail written either way reads back whole.
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';
import { enqueueMail } from '../../src/mail/outbox.ts';

let t: TestStore | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

describe('outbox body compression', () => {
  it('uses lz4 for the bodies on PostgreSQL built with it, pglz (the default) elsewhere; bodies read back whole', async () => {
    t = await createTestStore();
    const db = t.store.db;
    const { rows } = await sql<{ attname: string; attcompression: string }>`
      select attname, attcompression from pg_attribute
      where attrelid = 'outbox'::regclass and attname in ('body_text', 'body_html') order by attname`.execute(db);
    const lz4 = testDatabaseUrl ? (await sql<{ lz4: boolean }>`select exists (select 1 from pg_config where name = 'CONFIGURE' and setting like '%with-lz4%') as lz4`.execute(db)).rows[0]!.lz4 : false;
    expect(rows.map((r) => r.attcompression)).toEqual(lz4 ? ['l', 'l'] : ['', '']);
    if (testDatabaseUrl) expect(lz4).toBe(true); // Debian's PostgreSQL (CI's) is built with lz4: the setting must have taken

    const id = await enqueueMail(db, { tenantId: null, template: 'reset_code', recipient: 'alice@example.com', locale: 'en', params: { tenantName: 'Contoso '.repeat(40), code: '123456', minutes: 10 }, holdsSecret: true });
    const row = await db.selectFrom('outbox').select(['body_text', 'body_html']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.body_html.length).toBeGreaterThan(2000); // large enough to be compressed
    const method = await sql<{ m: string | null }>`select pg_column_compression(body_html) as m from outbox where id = ${id}`.execute(db);
    expect(method.rows[0]!.m).toBe(lz4 ? 'lz4' : 'pglz');
    expect(row.body_text).toContain('Your code is: 123456');
    expect(row.body_html).toContain('123456');
  });
});
