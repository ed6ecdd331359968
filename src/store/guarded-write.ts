// One statement for a whole step: a compare-and-set "head" (e.g. moving a flow from the state it was read in)
// plus the writes that must happen with it and only with it (a code, its mail, audit rows, a session):
//
//   with h0 as (update … where <still as read> returning *),
//        h0e0 as (insert … select … where exists (select 1 from h0)),
//        h0e1 as (…)
//   select 0 as __batch, h0.* from h0
//
// PostgreSQL runs every data-modifying CTE exactly once, in one snapshot and one implicit transaction, so the
// step is atomic: when the head matches no row (a parallel request won), nothing else is written either.
// Steps of concurrent requests are coalesced (store/batcher.ts): h0…, h1…, h2… side by side in one statement,
// each guarded by its own head, so one statement and one commit serve many requests. Two heads on one row in
// one statement behave as two racing requests: PostgreSQL applies the first and skips the other (it sees the
// row already changed by this command), whose effects then do not run.
//
// Effects see the snapshot from before the statement, so e.g. "supersede the flow's live codes" and "insert
// the new code" in one statement never touch each other's rows.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from './database.ts';
import { batcherFor, createBatcher } from './batcher.ts';

/** A write that runs only when the head wrote a row: `guard` is the SQL condition to put in its WHERE. */
export type Effect = (guard: RawBuilder<unknown>) => RawBuilder<unknown>;

interface Step {
  head: RawBuilder<unknown>;
  effects: readonly Effect[];
}

async function runSteps<Row>(db: Db, steps: Step[]): Promise<Row[][]> {
  const ctes: Array<RawBuilder<unknown>> = [];
  const selects: Array<RawBuilder<unknown>> = [];
  steps.forEach(({ head, effects }, i) => {
    const h = sql.raw(`h${i}`);
    const guard = sql`exists (select 1 from ${h})`;
    ctes.push(sql`${h} as (${head})`);
    effects.forEach((effect, j) => ctes.push(sql`${sql.raw(`h${i}e${j}`)} as (${effect(guard)})`));
    selects.push(sql`select ${sql.lit(i)}::int as __batch, ${h}.* from ${h}`);
  });
  const { rows } = await sql<Row & { __batch: number }>`with ${sql.join(ctes)} ${sql.join(selects, sql` union all `)}`.execute(db);
  const out: Row[][] = steps.map(() => []);
  for (const { __batch, ...row } of rows) out[__batch]?.push(row as Row);
  return out;
}

/**
 * Runs `head` (an UPDATE/INSERT … RETURNING on table `table`) and its effects in one statement, coalesced
 * with concurrent steps on the same table; resolves to head's rows.
 */
export function guardedWrite<Row>(db: Db, table: string, head: RawBuilder<unknown>, effects: readonly Effect[]): Promise<Row[]> {
  const run = batcherFor(db, `guarded-write:${table}`, () => createBatcher<Step, Row[]>({ run: (steps) => runSteps<Row>(db, steps), maxBatch: 32 }));
  return run({ head, effects });
}

/** An INSERT of one row that runs only under the guard. Values are cast to the given column types. */
export function insertWhere(table: string, row: Record<string, { value: unknown; type: string }>): Effect {
  const columns = Object.keys(row);
  const values = columns.map((c) => sql`${row[c]!.value}::${sql.raw(row[c]!.type)}`);
  return (guard) => sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select ${sql.join(values)} where ${guard}`;
}
