// Statements run as named prepared statements on PostgreSQL (store/prepared-client.ts): parsed once per
// connection, planned on every execution with the parameters' values, and off on request (poolers).
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/connect.ts';
import type { Db } from '../../src/store/database.ts';
import { asyncCommitDbOf, keyedDbOf } from '../../src/store/keyed-db.ts';
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

describe('the keyed and limits pools on PostgreSQL', () => {
  let t: TestStore;
  beforeAll(async () => {
    if (!pgOnly) t = await createTestStore();
  });
  afterAll(async () => t?.cleanup());

  const setting = async (db: Db, name: string) => (await sql<{ v: string }>`select current_setting(${name}) as v`.execute(db)).rows[0]?.v;

  it.skipIf(pgOnly)('plan once per connection without sequential scans; only the limits pool (also the async-commit pool) commits asynchronously', async () => {
    expect(keyedDbOf(t.store.db)).toBe(t.store.keyedDb);
    expect(asyncCommitDbOf(t.store.db)).toBe(t.store.limitsDb);
    for (const db of [t.store.keyedDb!, t.store.limitsDb!]) {
      expect(await setting(db, 'plan_cache_mode')).toBe('force_generic_plan');
      expect(await setting(db, 'enable_seqscan')).toBe('off');
    }
    expect(await setting(t.store.keyedDb!, 'synchronous_commit')).toBe('on');
    expect(await setting(t.store.limitsDb!, 'synchronous_commit')).toBe('off');
    expect(await setting(t.store.db, 'plan_cache_mode')).toBe('force_custom_plan');
  });

  it.skipIf(pgOnly)('a flow lookup planned while flows was tiny is still an index scan after it has grown', async () => {
    const lookup = (db: Db) => db.selectFrom('flows').selectAll().where('id', '=', anyOf(['nope'], 'text'));
    const name = `nyckel_${statementNumber(lookup(t.store.db).compile().sql)}_0`;
    const addFlows = (from: number, to: number) =>
      sql`insert into flows (id, tenant_id, kind, state, csrf_hash, browser, data, expires_at)
        select 'grown-' || i, ${randomUUID()}::uuid, 'sign_in', 'credentials', 'x', true, '{}', now() + interval '1 hour'
        from generate_series(${from}::int, ${to}::int) i`.execute(t.store.db);
    await addFlows(1, 1);
    await sql`analyze flows`.execute(t.store.db); // one page: a sequential scan is the cheapest plan now
    await t.store.keyedDb!.connection().execute(async (conn) => {
      expect(await lookup(conn).execute()).toEqual([]); // prepared and planned now
      await addFlows(2, 20000);
      const plan = (await sql<{ 'QUERY PLAN': string }>`explain execute ${sql.raw(name)}('{grown-7}')`.execute(conn)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Cond: \(id = ANY/); // through flows_pkey
      expect(plan).not.toMatch(/Seq Scan/);
    });
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
