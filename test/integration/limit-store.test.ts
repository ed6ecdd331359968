// The PostgreSQL rate-limit store (limits/postgres-store.ts) on a real database: PGlite by default, the
// machine's PostgreSQL when NYCKEL_TEST_DATABASE_URL is set. The SQL is the same on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestStore, type TestStore } from '../fixtures/test-database.ts';
import { createPostgresLimitStore, sweepExpiredLimits } from '../../src/limits/postgres-store.ts';
import { storedKey, type LimitSpec, type LimitStore } from '../../src/limits/limiter.ts';
import { findFlow, insertFlow } from '../../src/store/queries/flows.ts';

describe('rate limits in PostgreSQL', () => {
  let t: TestStore;
  let store: LimitStore;
  const window: LimitSpec = { name: 'test-window', points: 3, durationSeconds: 60 };
  const lockout: LimitSpec = { name: 'test-lockout', points: 2, durationSeconds: 5, blockSeconds: 600 };

  beforeAll(async () => {
    t = await createTestStore();
    store = createPostgresLimitStore(t.store.limitsDb ?? t.store.db);
  });
  afterAll(() => t.cleanup());

  const expire = async (spec: LimitSpec, key: string) =>
    Number((await sql<{ expire: string }>`select expire from rate_limits where key = ${storedKey(spec, key)}`.execute(t.store.db)).rows[0]?.expire);

  it('blocks a key for a chosen time whatever its count (growing lockouts), and the block replaces an earlier one', async () => {
    await store.consume([{ spec: window, key: 'blocked', points: 1 }]);
    await store.block(window, 'blocked', 120);
    const [r] = await store.check([{ spec: window, key: 'blocked' }]);
    expect(r?.ok).toBe(false);
    if (r && !r.ok) expect(r.retryAfterSeconds).toBeGreaterThan(110);
    await store.block(window, 'blocked', 30);
    const [shorter] = await store.check([{ spec: window, key: 'blocked' }]);
    if (shorter && !shorter.ok) expect(shorter.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(shorter?.ok).toBe(false);
    // A key never spent can be blocked too.
    await store.block(window, 'fresh', 60);
    expect((await store.check([{ spec: window, key: 'fresh' }]))[0]?.ok).toBe(false);
  });

  it('allows `points` spends per window, then refuses with a retry time inside the window', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await store.consume([{ spec: window, key: 'a', points: 1 }]))[0]);
    expect(results.slice(0, 3)).toEqual([
      { ok: true, remaining: 2 },
      { ok: true, remaining: 1 },
      { ok: true, remaining: 0 },
    ]);
    for (const r of results.slice(3)) {
      expect(r?.ok).toBe(false);
      if (r && !r.ok) expect(r.retryAfterSeconds).toBeGreaterThan(50);
    }
    expect(await store.check([{ spec: window, key: 'a' }])).toEqual([expect.objectContaining({ ok: false })]);
    // Another key of the same limit is untouched.
    expect(await store.check([{ spec: window, key: 'b' }])).toEqual([{ ok: true, remaining: 3 }]);
  });

  it('spends several limits in one statement, each with its own result, in order', async () => {
    const [x, y] = await store.consume([
      { spec: window, key: 'multi', points: 1 },
      { spec: lockout, key: 'multi', points: 2 },
    ]);
    expect(x).toEqual({ ok: true, remaining: 2 });
    expect(y).toEqual({ ok: true, remaining: 0 });
    const [x2, y2] = await store.consume([
      { spec: window, key: 'multi', points: 1 },
      { spec: lockout, key: 'multi', points: 1 },
    ]);
    expect(x2).toEqual({ ok: true, remaining: 1 });
    expect(y2?.ok).toBe(false);
  });

  it('blocks for blockSeconds once a lockout limit is exceeded, and a reset lifts it', async () => {
    for (let i = 0; i < 3; i++) await store.consume([{ spec: lockout, key: 'acct', points: 1 }]);
    const blockedUntil = await expire(lockout, 'acct');
    // The window was 5 s; the block stretches it to ~600 s.
    expect(blockedUntil - Date.now()).toBeGreaterThan(590_000);
    const [state] = await store.check([{ spec: lockout, key: 'acct' }]);
    expect(state?.ok).toBe(false);
    if (state && !state.ok) expect(state.retryAfterSeconds).toBeGreaterThan(590);
    // Further failures do not stretch the block again.
    await store.consume([{ spec: lockout, key: 'acct', points: 1 }]);
    expect(await expire(lockout, 'acct')).toBe(blockedUntil);
    await store.reset(lockout, 'acct');
    expect(await store.check([{ spec: lockout, key: 'acct' }])).toEqual([{ ok: true, remaining: 2 }]);
  });

  it('gives points back with reward, never below zero', async () => {
    await store.consume([{ spec: window, key: 'reward', points: 2 }]);
    await store.reward(window, 'reward', 1);
    expect(await store.check([{ spec: window, key: 'reward' }])).toEqual([{ ok: true, remaining: 2 }]);
    await store.reward(window, 'reward', 5);
    expect(await store.check([{ spec: window, key: 'reward' }])).toEqual([{ ok: true, remaining: 3 }]);
  });

  it('starts a fresh window once the old one has ended, and sweeps ended windows', async () => {
    await store.consume([{ spec: window, key: 'old', points: 3 }]);
    await sql`update rate_limits set expire = ${Date.now() - 1000}::bigint where key = ${storedKey(window, 'old')}`.execute(t.store.db);
    expect(await store.check([{ spec: window, key: 'old' }])).toEqual([{ ok: true, remaining: 3 }]);
    expect(await store.consume([{ spec: window, key: 'old', points: 1 }])).toEqual([{ ok: true, remaining: 2 }]);
    await sql`update rate_limits set expire = ${Date.now() - 1000}::bigint where key = ${storedKey(window, 'old')}`.execute(t.store.db);
    await sweepExpiredLimits(t.store.db);
    const left = await sql<{ n: string }>`select count(*) as n from rate_limits where key = ${storedKey(window, 'old')}`.execute(t.store.db);
    expect(Number(left.rows[0]?.n)).toBe(0);
  });

  it('counts exactly under parallel spends of one key', async () => {
    const spec: LimitSpec = { name: 'test-parallel', points: 10, durationSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 25 }, () => store.consume([{ spec, key: 'p', points: 1 }])));
    expect(results.filter(([r]) => r?.ok)).toHaveLength(10);
  });

  // flows/common/flow-store.ts (loadFlowSpending): "Send verification code" spends its limits in the statement
  // that reads its flow. The flow must come back exactly as a lookup of its own reads it.
  describe('spending while reading a flow', () => {
    const spec: LimitSpec = { name: 'test-with-flow', points: 3, durationSeconds: 60 };
    const newFlow = (id: string) =>
      insertFlow(t.store.db, { id, tenant_id: '00000000-0000-4000-8000-000000000001', kind: 'password_reset', state: 'identify', csrf_hash: 'h', browser: false, data: { locale: 'sv', n: [1, { x: 'y' }] }, expires_at: new Date(Date.now() + 60_000) });

    it('answers the flow as findFlow does, and the spends as consume does', async () => {
      await newFlow('flow-read-with-spend-1');
      const read = await store.consumeReadingFlow!([{ spec, key: 'with-flow', points: 1 }, { spec: window, key: 'with-flow', points: 2 }], 'flow-read-with-spend-1');
      expect(read.flow).toEqual(await findFlow(t.store.db, 'flow-read-with-spend-1'));
      expect(read.flow?.expires_at).toBeInstanceOf(Date);
      expect(read.results).toEqual([{ ok: true, remaining: 2 }, { ok: true, remaining: 1 }]);
      expect(await store.check([{ spec, key: 'with-flow' }])).toEqual([{ ok: true, remaining: 2 }]);
    });

    it('spends for a flow id that names no flow, and answers no flow', async () => {
      const read = await store.consumeReadingFlow!([{ spec, key: 'no-flow', points: 1 }], 'no-such-flow-0000000');
      expect(read).toEqual({ results: [{ ok: true, remaining: 2 }], flow: undefined });
      expect(await store.check([{ spec, key: 'no-flow' }])).toEqual([{ ok: true, remaining: 2 }]);
    });

    it('keeps each request its own flow and its own place in the count when requests are coalesced', async () => {
      await newFlow('flow-read-with-spend-2');
      await newFlow('flow-read-with-spend-3');
      // Started in one turn, so they share one statement (store/batcher.ts): plain spends among them too.
      const [a, b, c, d, e] = await Promise.all([
        store.consumeReadingFlow!([{ spec, key: 'together', points: 1 }], 'flow-read-with-spend-2'),
        store.consume([{ spec, key: 'together', points: 1 }]),
        store.consumeReadingFlow!([{ spec, key: 'together', points: 1 }], 'flow-read-with-spend-3'),
        store.consumeReadingFlow!([{ spec, key: 'together', points: 1 }], 'flow-read-with-spend-2'),
        store.consumeReadingFlow!([{ spec, key: 'elsewhere', points: 1 }], 'no-such-flow-0000000'),
      ]);
      expect(a.flow?.id).toBe('flow-read-with-spend-2');
      expect(c.flow?.id).toBe('flow-read-with-spend-3');
      expect(d.flow?.id).toBe('flow-read-with-spend-2');
      expect(e.flow).toBeUndefined();
      expect([a.results[0], b[0], c.results[0]]).toEqual([
        { ok: true, remaining: 2 },
        { ok: true, remaining: 1 },
        { ok: true, remaining: 0 },
      ]);
      expect(d.results[0]?.ok).toBe(false);
      expect(e.results).toEqual([{ ok: true, remaining: 2 }]);
    });
  });
});
