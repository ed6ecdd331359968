// Rate-limit counters (table rate_limits: key, points, expire in epoch ms) spent inside a statement, as CTEs.
// Used by the counter store (limits/postgres-store.ts: spends alone, or with a flow read) and by flow steps
// that spend their limits in their own statement (store/guarded-write.ts: the move happens only when the
// spends pass). Semantics are rate-limiter-flexible's fixed windows: the first spend opens a window of
// durationSeconds; spends add up; with blockSeconds, the spend that first goes over `points` extends the window
// to a block of that length.
//
// The spends of many requests share the statement: points are added up per counter (an upsert may touch a row
// once), one upsert per window. Each spend's count is then its own place in that sum, as if the requests had
// run one after another in batch order: the counter's points after the statement, plus an offset known before
// it (its running sum in the batch minus the batch's total for that key). Counters are written in one order
// (window name, then key) by every statement, so two statements spending the same counters never deadlock.
import type { CounterRow } from '../database.ts';
import { rowsSql, type Statement } from '../statement.ts';

/** A counter's window (the shape of limits/limiter.ts LimitSpec). */
export interface CounterWindow {
  name: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

export interface CounterSpend {
  window: CounterWindow;
  /** The counter's stored key. */
  key: string;
  points: number;
}

/** What one spend saw: the count after its points (batch order) and when the counter's window ends. */
export interface SpentCounter {
  window: CounterWindow;
  count: number;
  expire: number;
}

export interface CounterSpends {
  /** The upserts, then `name` (key, points, expire of every counter spent). */
  ctes: string[];
  /** Per request, per spend: its counter and its offset from that counter's points after the statement. */
  offsets: Array<Array<{ spend: CounterSpend; offset: number }>>;
}

const NEVER = '9223372036854775807::bigint';

/**
 * The CTEs that spend `batch` (one list of spends per request, at least one spend in all); `name` is the CTE
 * of all counters spent.
 */
export function spendCountersSql(q: Statement, batch: ReadonlyArray<readonly CounterSpend[]>, now: number, name: string): CounterSpends {
  const totals = new Map<string, { window: CounterWindow; points: number }>();
  for (const spends of batch) {
    for (const { window, key, points } of spends) {
      const t = totals.get(key);
      if (t) t.points += points;
      else totals.set(key, { window, points });
    }
  }
  const running = new Map<string, number>();
  const offsets = batch.map((spends) =>
    spends.map((spend) => {
      const sum = (running.get(spend.key) ?? 0) + spend.points;
      running.set(spend.key, sum);
      return { spend, offset: sum - totals.get(spend.key)!.points };
    }),
  );
  const byWindow = new Map<string, { window: CounterWindow; rows: Array<[string, number]> }>();
  for (const [key, { window, points }] of [...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const group = byWindow.get(window.name) ?? { window, rows: [] };
    group.rows.push([key, points]);
    byWindow.set(window.name, group);
  }
  const at = q.param(now, 'bigint');
  const groups = [...byWindow.values()].sort((a, b) => (a.window.name < b.window.name ? -1 : 1));
  const ctes = groups.map(({ window, rows }, i) => {
    const ends = q.param(now + window.durationSeconds * 1000, 'bigint');
    const values = rows.map(([key, points]) => [q.param(key, 'text'), q.param(points, 'int'), ends]);
    const block = window.blockSeconds ?? 0;
    const max = block > 0 ? q.param(window.points, 'int') : '';
    const overflow = block > 0 ? `when r.points <= ${max} and r.points + excluded.points > ${max} then ${q.param(now + block * 1000, 'bigint')}` : '';
    return `${name}${i} as (
      insert into rate_limits as r (key, points, expire) values ${rowsSql(values)}
      on conflict (key) do update set
        points = case when coalesce(r.expire, ${NEVER}) <= ${at} then excluded.points else r.points + excluded.points end,
        expire = case when coalesce(r.expire, ${NEVER}) <= ${at} then excluded.expire ${overflow} else r.expire end
      returning key, points, expire)`;
  });
  const all = groups.map((_, i) => `select * from ${name}${i}`).join(' union all ');
  return { ctes: [...ctes, `${name} as (${all})`], offsets };
}

/**
 * A CTE `name` of the requests (by `__batch`, their place in the batch) whose every spend stays within its
 * window's points: the rule limits/postgres-store.ts applies to the counts (`count > points` is refused).
 * Only for a batch that spends something.
 */
export function passingSql(q: Statement, spends: CounterSpends, counters: string, name: string): string {
  const rows = spends.offsets.flatMap((items, i) =>
    items.map(({ spend, offset }) => [`${i}::int`, q.param(spend.key, 'text'), q.param(offset, 'int'), q.param(spend.window.points, 'int')]),
  );
  return `${name} as (select x.__batch from (values ${rowsSql(rows)}) as x(__batch, key, "offset", max)
    join ${counters} c on c.key = x.key group by x.__batch having bool_and(c.points + x."offset" <= x.max))`;
}

/** Each spend's count and window end, from the counters the statement returned. */
export function spentCounters(spends: CounterSpends, rows: readonly CounterRow[], now: number): SpentCounter[][] {
  const after = new Map(rows.map((r) => [r.key, r]));
  return spends.offsets.map((items) =>
    items.map(({ spend, offset }) => {
      const row = after.get(spend.key);
      if (!row) throw new Error('rate limit statement returned no row for a counter it spent');
      return { window: spend.window, count: row.points + offset, expire: row.expire === null ? now : Number(row.expire) };
    }),
  );
}
