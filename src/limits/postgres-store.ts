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
import { sql } from 'kysely';
import type { CounterRow, Db } from '../store/database.ts';
import { createBatcher } from '../store/batcher.ts';
import { refusedAfter, storedKey, type LimitResult, type LimitSpec, type LimitStore } from './limiter.ts';
import { anyOf } from '../store/prepared-client.ts';
import type { FlowRow } from '../store/queries/flows.ts';

const NEVER = sql<number>`9223372036854775807::bigint`;

type Item = { spec: LimitSpec; key: string; points: number };
/** One request's spends, and the flow it reads with them (consumeReadingFlow). */
type Spend = { items: Item[]; flowId?: string };
type Spent = { results: LimitResult[]; flow?: FlowRow | undefined };

/**
 * Spends the items of many concurrent requests in one statement: points are added up per counter (an upsert
 * may touch a row once), one CTE per limit. Each request's result is then its own place in that sum: the
 * count after its points, as if the requests had run one after another in batch order.
 *
 * Requests that name a flow read it in the same statement: the counters' rows and the flows' rows come back
 * side by side (a full join on false keeps each row's own columns and nulls the other's).
 */
async function consumeBatch(db: Db, spends: Spend[]): Promise<Spent[]> {
  const now = Date.now();
  const batch = spends.map((s) => s.items);
  const flowIds = [...new Set(spends.flatMap((s) => (s.flowId === undefined ? [] : [s.flowId])))];
  const totals = new Map<string, { spec: LimitSpec; points: number }>();
  for (const items of batch) {
    for (const { spec, key, points } of items) {
      const k = storedKey(spec, key);
      const t = totals.get(k);
      if (t) t.points += points;
      else totals.set(k, { spec, points });
    }
  }
  const bySpec = new Map<string, { spec: LimitSpec; rows: Array<[string, number]> }>();
  for (const [k, { spec, points }] of totals) {
    const group = bySpec.get(spec.name) ?? { spec, rows: [] };
    group.rows.push([k, points]);
    bySpec.set(spec.name, group);
  }
  const groups = [...bySpec.values()];
  const ctes = groups.map(({ spec, rows }, i) => {
    const max = spec.points;
    const block = (spec.blockSeconds ?? 0) * 1000;
    const values = rows.map(([k, points]) => sql`(${k}, ${points}::int, ${now + spec.durationSeconds * 1000}::bigint)`);
    return sql`${sql.raw(`k${i}`)} as (
      insert into rate_limits as r (key, points, expire) values ${sql.join(values)}
      on conflict (key) do update set
        points = case when coalesce(r.expire, ${NEVER}) <= ${now}::bigint then excluded.points else r.points + excluded.points end,
        expire = case
          when coalesce(r.expire, ${NEVER}) <= ${now}::bigint then excluded.expire
          when ${block}::bigint > 0 and r.points <= ${max}::int and r.points + excluded.points > ${max}::int then ${now + block}::bigint
          else r.expire end
      returning key, points, expire)`;
  });
  const selects = groups.map((_, i) => sql`select * from ${sql.raw(`k${i}`)}`);
  const counters = sql.join(selects, sql` union all `);
  // Rows of the joined statement carry either a counter's columns or a flow's (the other's are null).
  type Joined = CounterRow | (FlowRow & { key: null });
  const { rows } =
    flowIds.length === 0
      ? await sql<Joined>`with ${sql.join(ctes)} ${counters}`.execute(db)
      : await sql<Joined>`with ${sql.join(ctes)}, c as (${counters})
          select * from c full join (select * from flows where id = ${anyOf(flowIds, 'text')}) f on false`.execute(db);
  const after = new Map<string, CounterRow>();
  const flows = new Map<string, FlowRow>();
  for (const row of rows) {
    if (row.key !== null) after.set(row.key, { key: row.key, points: row.points, expire: row.expire });
    else flows.set(row.id, flowOf(row));
  }
  // Walk the batch in order: each request sees the count up to and including its own points.
  const running = new Map<string, number>();
  const results = batch.map((items) =>
    items.map(({ spec, key, points }): LimitResult => {
      const k = storedKey(spec, key);
      const row = after.get(k);
      if (!row) throw new Error('rate limit statement returned no row');
      const before = running.get(k) ?? row.points - (totals.get(k)?.points ?? 0);
      const count = before + points;
      running.set(k, count);
      if (count > spec.points) return refusedAfter(Number(row.expire ?? now) - now);
      return { ok: true, remaining: spec.points - count };
    }),
  );
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

