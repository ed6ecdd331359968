// Which connections run the hot statements that reach every row through an index key: flow and user lookups
// and flow steps. On PostgreSQL that is the store's keyed pool, where each statement is planned once per
// connection with sequential scans ruled out (store/connect.ts, store/prepared-client.ts). Its twin, the
// async-commit pool, has the same plans but commits without waiting for the WAL flush (synchronous_commit=off):
// rate-limit counters, and the flow steps that only send a code (see guarded-write.ts, `Durability`).
import type { Db } from './database.ts';

const keyedDbs = new WeakMap<Db, Db>();
const asyncCommitDbs = new WeakMap<Db, Db>();

export const registerKeyedDb = (db: Db, keyedDb: Db, asyncCommitDb?: Db): void => {
  keyedDbs.set(db, keyedDb);
  if (asyncCommitDb) asyncCommitDbs.set(db, asyncCommitDb);
};

/** The keyed pool of the store `db` belongs to, or `db` itself (PGlite, a transaction, a store without one). */
export const keyedDbOf = (db: Db): Db => keyedDbs.get(db) ?? db;

/** The store's async-commit pool, else as keyedDbOf (PGlite, a transaction: never outside it). */
export const asyncCommitDbOf = (db: Db): Db => asyncCommitDbs.get(db) ?? keyedDbOf(db);
