// Rate-limit counters in PostgreSQL (table rate_limits: key, points, expire in epoch ms), for several processes
// sharing one database without Redis. Written here rather than through rate-limiter-flexible so that several
// limits are spent or checked in ONE statement: a reset request spends two limits and a sign-in checks two,
// and each extra round trip costs more CPU than the counting itself.
//
// Semantics match rate-limiter-flexible's fixed windows: the first spend opens a window of durationSeconds;
// spends add up; more than `points` is refused; with blockSeconds, the spend that first goes over extends the
// window to a block of that length. Expired rows are swept by `sweepExpiredLimits` (app.ts).
//
// Counters are hot rows (every request from one IP updates one row), so the app gives this store its own
// connections with synchronous_commit=off (store/connect.ts): a row lock is released without waiting for the
// WAL flush. A crash may forget the last fraction of a second of counts, which rate limits can afford.
import { sql } from 'kysely';
import type { Db } from '../store/database.ts';
import { refusedAfter, storedKey, type LimitResult, type LimitStore } from './limiter.ts';

const NEVER = sql<number>`9223372036854775807::bigint`;

export function createPostgresLimitStore(db: Db): LimitStore {
  return {
    async consume(items) {
      if (items.length === 0) return [];
      const now = Date.now();
      const ctes = items.map(({ spec, key, points }, i) => {
        const max = spec.points;
        const block = (spec.blockSeconds ?? 0) * 1000;
        return sql`${sql.raw(`k${i}`)} as (
          insert into rate_limits as r (key, points, expire)
          values (${storedKey(spec, key)}, ${points}::int, ${now + spec.durationSeconds * 1000}::bigint)
          on conflict (key) do update set
            points = case when coalesce(r.expire, ${NEVER}) <= ${now}::bigint then excluded.points else r.points + excluded.points end,
            expire = case
              when coalesce(r.expire, ${NEVER}) <= ${now}::bigint then excluded.expire
              when ${block}::bigint > 0 and r.points <= ${max}::int and r.points + excluded.points > ${max}::int then ${now + block}::bigint
              else r.expire end
          returning ${i}::int as i, points, expire)`;
      });
      const selects = items.map((_, i) => sql`select * from ${sql.raw(`k${i}`)}`);
      const { rows } = await sql<{ i: number; points: number; expire: string | null }>`with ${sql.join(ctes)} ${sql.join(selects, sql` union all `)}`.execute(db);
      const byIndex = new Map(rows.map((r) => [r.i, r]));
      return items.map(({ spec }, i): LimitResult => {
        const row = byIndex.get(i);
        if (!row) throw new Error('rate limit statement returned no row');
        if (row.points > spec.points) return refusedAfter(Number(row.expire ?? now) - now);
        return { ok: true, remaining: spec.points - row.points };
      });
    },

    async check(items) {
      if (items.length === 0) return [];
      const now = Date.now();
      const keys = items.map(({ spec, key }) => storedKey(spec, key));
      const { rows } = await sql<{ key: string; points: number; expire: string | null }>`
        select key, points, expire from rate_limits
        where key in (${sql.join(keys)}) and (expire is null or expire > ${now}::bigint)`.execute(db);
      const byKey = new Map(rows.map((r) => [r.key, r]));
      return items.map(({ spec }, i): LimitResult => {
        const row = byKey.get(keys[i]!);
        if (row && row.points >= spec.points) return refusedAfter(Number(row.expire ?? now) - now);
        return { ok: true, remaining: spec.points - (row?.points ?? 0) };
      });
    },

    async reward(spec, key, points) {
      const now = Date.now();
      await sql`update rate_limits set points = greatest(points - ${points}::int, 0)
        where key = ${storedKey(spec, key)} and (expire is null or expire > ${now}::bigint)`.execute(db);
    },

    async reset(spec, key) {
      await sql`delete from rate_limits where key = ${storedKey(spec, key)}`.execute(db);
    },
  };
}

/** Deletes counters whose window (or block) has ended. */
export function sweepExpiredLimits(db: Db): Promise<unknown> {
  return sql`delete from rate_limits where expire < ${Date.now()}::bigint`.execute(db);
}

