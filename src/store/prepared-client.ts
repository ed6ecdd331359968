// A pg client that runs every parameterised statement as a named prepared statement, so PostgreSQL parses each
// statement text once per connection instead of on every execution (measured on the hot paths: 10-15 % less
// database CPU per sign-in and per reset request).
//
// On the main pool plans are still made on every execution, with the parameters' values (CUSTOM_PLANS, a
// connection option). PostgreSQL's default would switch a prepared statement to a generic plan after five
// executions and keep it while the table grows: measured, the outbox claim planned while the outbox was nearly
// empty kept scanning all of it (177 ms a claim instead of 1 ms at 60,000 rows), and the flow lookup went from
// 0.03 to 2 ms (a sequential scan, cheapest while the table had one page).
//
// The keyed and limits pools (store/connect.ts) run only statements that reach every row through an index key
// (flow and user lookups, flow steps, rate-limit counters): there each statement is planned once per
// connection (GENERIC_KEYED_PLANS), with sequential scans ruled out, so a plan made while a table was tiny is
// still the index scan when it has grown. Planning was about half of those statements' time in PostgreSQL
// (pg_stat_statements with track_planning, during the sign-in benchmark).
//
// Statements without parameters keep the simple protocol (it allows several statements in one text, which
// migrations use). The number of names is bounded, so statements built with a varying shape cannot grow the
// server's per-connection cache without end; lists go in as one array parameter (`anyOf`) to keep texts fixed.
// A prepared `select *` fails once its table changes shape ("cached plan must not change result type"), as it
// would when a rolling upgrade migrates the database under running servers: the client then prepares every
// text again under new names, and tries the statement again when it was not inside a transaction.
// Off with `databasePreparedStatements: false` (poolers that do not keep prepared statements per client).
import { sql } from 'kysely';
import pg from 'pg';

/** Connection option: plan every execution with its parameters (see above). */
export const CUSTOM_PLANS = '-c plan_cache_mode=force_custom_plan';

/** Connection options of the keyed and limits pools: one generic plan per statement, no sequential scans. */
export const GENERIC_KEYED_PLANS = '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off';

const MAX_NAMED = 500;
const names = new Map<string, number>();

/** The statement number for a text; undefined once the bound is reached. */
export function statementNumber(text: string): number | undefined {
  let n = names.get(text);
  if (n === undefined && names.size < MAX_NAMED) {
    n = names.size;
    names.set(text, n);
  }
  return n;
}

/** PostgreSQL's answer when a table a prepared statement reads changed shape (a migration while running). */
const isStalePlan = (err: unknown) => (err as { code?: string }).code === '0A000' && /cached plan must not change result type/.test(String((err as Error).message));

export class PreparedStatementClient extends pg.Client {
  /** Bumped when the server says a prepared statement went stale: every text is then prepared anew. */
  #generation = 0;

  // pg's overloads are many; only the (text, values) form Kysely uses is changed, everything else passes through.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const n = statementNumber(text);
      if (n !== undefined) return this.#prepared(n, text, values) as never;
    }
    return (super.query as unknown as (...a: unknown[]) => never)(...args);
  }

  async #prepared(n: number, text: string, values: unknown[]): Promise<pg.QueryResult> {
    const run = () => (super.query as unknown as (c: pg.QueryConfig) => Promise<pg.QueryResult>)({ name: `nyckel_${n}_${this.#generation}`, text, values });
    const inTransaction = this.getTransactionStatus() !== 'I';
    try {
      return await run();
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      // A column was added or dropped under a running server (rolling upgrade): prepare every text again under
      // new names (works inside a failed transaction too, where DEALLOCATE cannot run). Outside a transaction
      // nothing was executed, so the statement is simply tried again.
      this.#generation++;
      if (inTransaction) throw err;
      return run();
    }
  }
}

/**
 * `column = anyOf(values, type)`: a list as ONE array parameter, so the statement's text (and its prepared
 * statement) is the same for any number of values, where `in ($1, $2, …)` makes a new text per length.
 */
export const anyOf = <T>(values: readonly T[], type: 'uuid' | 'text') => sql<T>`any(${values}::${sql.raw(type)}[])`;
