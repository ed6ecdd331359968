// Statements run as named prepared statements on PostgreSQL (store/prepared-client.ts): parsed once per
// connection, planned on every execution with the parameters' values, and off on request (poolers).
import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.ts';
import { anyOf, statementNumber } from '../../src/store/prepared-client.ts';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';

const pgOnly = !testDatabaseUrl;

const prepared = async (store: Store) =>
  (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(store.db)).rows.map((r) => r.statement);

describe('prepared statements on PostgreSQL', () => {
  let t: TestStore;
  beforeAll(async () => {
    if (!pgOnly) t = await createTestStore({ poolSize: 1 }); // one connection: every statement meets the same session
  });
  afterAll(async () => t?.cleanup());

  it.skipIf(pgOnly)('prepares a parameterised statement once and reuses it, planned with its values each time', async () => {
    const lookup = (id: string) => t.store.db.selectFrom('flows').select('id').where('id', '=', anyOf([id, `${id}-2`], 'text')).execute();
    expect(await lookup('a')).toEqual([]);
    expect(await lookup('b')).toEqual([]);
    const statements = (await prepared(t.store)).filter((s) => s.includes('from "flows"'));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toContain('any($1::text[])');
    const mode = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(t.store.db);
    expect(mode.rows[0]?.plan_cache_mode).toBe('force_custom_plan');
  });

  it.skipIf(pgOnly)('leaves statements without parameters on the simple protocol (several statements in one text)', async () => {
    await sql`create temporary table x (v int); insert into x values (1); drop table x`.execute(t.store.db);
    expect((await prepared(t.store)).some((s) => s.includes('temporary table x'))).toBe(false);
  });

  it.skipIf(pgOnly)('survives a column added under a running server (rolling upgrade): prepared again, not failed', async () => {
    await sql`create table shape_test (id int primary key, a text)`.execute(t.store.db);
    await sql`insert into shape_test values (1, 'x')`.execute(t.store.db);
    const read = () => sql<Record<string, unknown>>`select * from shape_test where id = ${1}`.execute(t.store.db);
    expect((await read()).rows).toEqual([{ id: 1, a: 'x' }]);
    await sql`alter table shape_test add column b int default 7`.execute(t.store.db);
    expect((await read()).rows).toEqual([{ id: 1, a: 'x', b: 7 }]);
    // Inside a transaction the failed statement cannot be tried again; the transaction fails once, the next works.
    await sql`alter table shape_test add column c int default 8`.execute(t.store.db);
    await expect(t.store.db.transaction().execute((tx) => sql`select * from shape_test where id = ${1}`.execute(tx))).rejects.toThrow(/cached plan/);
    expect((await read()).rows).toEqual([{ id: 1, a: 'x', b: 7, c: 8 }]);
  });

  it.skipIf(pgOnly)('prepares nothing when turned off', async () => {
    const store = await openStore({ databaseUrl: t.databaseUrl!, dataDir: tmpdir(), poolSize: 1, preparedStatements: false });
    try {
      await store.db.selectFrom('flows').select('id').where('id', '=', 'x').execute();
      expect(await prepared(store)).toEqual([]);
      const mode = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(store.db);
      expect(mode.rows[0]?.plan_cache_mode).toBe('auto');
    } finally {
      await store.close();
    }
  });
});

describe('statement numbers', () => {
  it('give one number per text, and none beyond the bound', () => {
    const first = statementNumber('select $1 as bound_test_0');
    expect(first).toBeTypeOf('number');
    expect(statementNumber('select $1 as bound_test_0')).toBe(first);
    const more = Array.from({ length: 600 }, (_, i) => statementNumber(`select $1 as bound_test_${i + 1}`));
    expect(more.filter((n) => n !== undefined).length).toBeLessThan(500);
    expect(more.at(-1)).toBeUndefined();
  });
});
