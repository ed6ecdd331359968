// One statement for a whole step: a compare-and-set "head" (e.g. moving a flow from the state it was read in)
// plus the writes that must happen with it and only with it (a code, its mail, audit rows, a session):
//
//   with head as (update … where <still as read> returning *),
//        e0 as (insert … select … where exists (select 1 from head)),
//        e1 as (…)
//   select * from head
//
// PostgreSQL runs every data-modifying CTE exactly once, in one snapshot and one implicit transaction, so the
// step is atomic: when the head matches no row (a parallel request won), nothing else is written either. One
// statement is one round trip and one commit instead of BEGIN + n statements + COMMIT — on the hot paths the
// round trips cost more than the writes themselves.
//
// Effects see the snapshot from before the statement, so e.g. "supersede the flow's live codes" and "insert
// the new code" in one statement never touch each other's rows.
import { sql, type RawBuilder } from 'kysely';
import type { Db } from './database.ts';

/** A write that runs only when the head wrote a row: `guard` is the SQL condition to put in its WHERE. */
export type Effect = (guard: RawBuilder<unknown>) => RawBuilder<unknown>;

const GUARD = sql`exists (select 1 from head)`;

/** Runs `head` (a statement with RETURNING) and the effects in one statement; resolves to head's rows. */
export async function guardedWrite<Row>(db: Db, head: RawBuilder<unknown>, effects: readonly Effect[]): Promise<Row[]> {
  const ctes = [sql`head as (${head})`, ...effects.map((effect, i) => sql`${sql.raw(`e${i}`)} as (${effect(GUARD)})`)];
  const { rows } = await sql<Row>`with ${sql.join(ctes)} select * from head`.execute(db);
  return rows;
}

/** An INSERT of one row that runs only under the guard. Values are cast to the given column types. */
export function insertWhere(table: string, row: Record<string, { value: unknown; type: string }>): Effect {
  const columns = Object.keys(row);
  const values = columns.map((c) => sql`${row[c]!.value}::${sql.raw(row[c]!.type)}`);
  return (guard) => sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select ${sql.join(values)} where ${guard}`;
}
