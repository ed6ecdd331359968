// Rate-limit counters in PostgreSQL (table rate_limits: key, points, expire in epoch ms), for several processes
// sharing one database without Redis. Written here rather than through rate-limiter-flexible so that several
// limits — of one request and of many concurrent requests — are spent or checked in ONE statement: a reset
// request spends two limits and a sign-in checks two, and each round trip costs more CPU than the counting.
//
// Semantics match rate-limiter-flexible's fixed windows: the first spend opens a window of durationSeconds;
// spends add up; more than `points` is refused; with blockSeconds, the spend that first goes over extends the
// window to a block of that length. Expired rows are swept by `sweepExpiredLimits` (app.ts).
//
// Counters are hot rows (every request from one IP updates one row), so the app gives this store its own
// connections with synchronous_commit=off (store/connect.ts): a row lock is released without waiting for the
// WAL flush. A crash may forget the last fraction of a second of counts, which rate limits can afford.
import { CompiledQuery, sql } from 'kysely';
import type { CounterRow, Db } from '../store/database.ts';
import { createBatcher } from '../store/batcher.ts';
import { Statement } from '../store/statement.ts';
import { spendCountersSql, spentCounters, type CounterSpend, type SpentCounter } from '../store/queries/rate-limits.ts';
import { refusedAfter, storedKey, type LimitResult, type LimitSpec, type LimitStore } from './limiter.ts';
import { anyOf } from '../store/prepared-client.ts';
import type { FlowRow } from '../store/queries/flows.ts';

type Item = { spec: LimitSpec; key: string; points: number };
/** One request's spends, and the flow it reads with them (consumeReadingFlow). */
type Spend = { items: Item[]; flowId?: string };
type Spent = { results: LimitResult[]; flow?: FlowRow | undefined };

/** What a spend's count means under its limit: over `points` is refused until the window (or block) ends. */
export function limitResultOf(spent: SpentCounter, now: number): LimitResult {
  if (spent.count > spent.window.points) return refusedAfter(spent.expire - now);
  return { ok: true, remaining: spent.window.points - spent.count };
}

/** A request's charges as the counters they spend (stored keys). */
export const counterSpendsOf = (items: readonly Item[]): CounterSpend[] => items.map(({ spec, key, points }) => ({ window: spec, key: storedKey(spec, key), points }));

/**
 * Spends the items of many concurrent requests in one statement (store/queries/rate-limits.ts).
 *
 * Requests that name a flow read it in the same statement: the counters' rows and the flows' rows come back
 * side by side (a full join on false keeps each row's own columns and nulls the other's).
 */
async function consumeBatch(db: Db, spends: Spend[]): Promise<Spent[]> {
  const now = Date.now();
  const flowIds = [...new Set(spends.flatMap((s) => (s.flowId === undefined ? [] : [s.flowId])))];
  const q = new Statement();
  const counters = spendCountersSql(q, spends.map((s) => counterSpendsOf(s.items)), now, 'c');
  const text =
    flowIds.length === 0
      ? `with ${counters.ctes.join(', ')} select key, points, expire from c`
      : `with ${counters.ctes.join(', ')} select * from c full join (select * from flows where id = any(${q.param(flowIds, 'text[]')})) f on false`;
  // Rows of the joined statement carry either a counter's columns or a flow's (the other's are null).
  type Joined = CounterRow | (FlowRow & { key: null });
  const { rows } = await db.executeQuery(CompiledQuery.raw(text, q.parameters) as CompiledQuery<Joined>);
  const after: CounterRow[] = [];
  const flows = new Map<string, FlowRow>();
  for (const row of rows) {
    if (row.key !== null) after.push({ key: row.key, points: row.points, expire: row.expire });
    else flows.set(row.id, flowOf(row));
  }
  const results = spentCounters(counters, after, now).map((items) => items.map((spent) => limitResultOf(spent, now)));
  return spends.map((s, i) => (s.flowId === undefined ? { results: results[i]! } : { results: results[i]!, flow: flows.get(s.flowId) }));
}

/** A flow's own columns from a row of the joined statement. */
function flowOf(row: FlowRow & { key: null; points?: unknown; expire?: unknown }): FlowRow {
  const { key: _k, points: _p, expire: _e, ...flow } = row;
  return flow;
}

/**
 * What a check of `items` answers, given the live counter rows (read with `expire is null or expire > now`);
 * a key without a row has nothing counted. Also used where counters were read along with other rows.
 */
function checkFromRows(items: ReadonlyArray<{ spec: LimitSpec; key: string }>, rows: readonly CounterRow[], now: number): LimitResult[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return items.map(({ spec, key }): LimitResult => {
    const row = byKey.get(storedKey(spec, key));
    if (row && row.points >= spec.points) return refusedAfter(Number(row.expire ?? now) - now);
    return { ok: true, remaining: spec.points - (row?.points ?? 0) };
  });
}

async function checkBatch(db: Db, batch: Array<Array<{ spec: LimitSpec; key: string }>>): Promise<LimitResult[][]> {
  const now = Date.now();
  const keys = [...new Set(batch.flatMap((items) => items.map(({ spec, key }) => storedKey(spec, key))))];
  const { rows } = await sql<CounterRow>`
    select key, points, expire from rate_limits
    where key = ${anyOf(keys, 'text')} and (expire is null or expire > ${now}::bigint)`.execute(db);
  return batch.map((items) => checkFromRows(items, rows, now));
}

export function createPostgresLimitStore(db: Db): LimitStore {
  // Concurrent requests' spends and checks are coalesced into one statement each (store/batcher.ts).
  const consume = createBatcher<Spend, Spent>({ run: (batch) => consumeBatch(db, batch) });
  const check = createBatcher<Array<{ spec: LimitSpec; key: string }>, LimitResult[]>({ run: (batch) => checkBatch(db, batch) });
  return {
    consume: async (items) => (items.length === 0 ? [] : (await consume({ items: [...items] })).results),
    async consumeReadingFlow(items, flowId) {
      const { results, flow } = await consume({ items: [...items], flowId });
      return { results, flow };
    },
    check: async (items) => (items.length === 0 ? [] : check([...items])),
    checkRows: checkFromRows,

    async reward(spec, key, points) {
      const now = Date.now();
      await sql`update rate_limits set points = greatest(points - ${points}::int, 0)
        where key = ${storedKey(spec, key)} and (expire is null or expire > ${now}::bigint)`.execute(db);
    },

    async reset(spec, key) {
      await sql`delete from rate_limits where key = ${storedKey(spec, key)}`.execute(db);
    },

    // As rate-limiter-flexible's block(): the counter over its limit until the block ends.
    async block(spec, key, seconds) {
      const expire = Date.now() + seconds * 1000;
      await sql`insert into rate_limits (key, points, expire) values (${storedKey(spec, key)}, ${spec.points + 1}::int, ${expire}::bigint)
        on conflict (key) do update set points = greatest(rate_limits.points, excluded.points), expire = excluded.expire`.execute(db);
    },
  };
}

/** Deletes counters whose window (or block) has ended. */
export function sweepExpiredLimits(db: Db): Promise<unknown> {
  return sql`delete from rate_limits where expire < ${Date.now()}::bigint`.execute(db);
}

