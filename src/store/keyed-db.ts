// Which connections run the hot statements that reach every row through an index key: flow and user lookups
// and flow steps. On PostgreSQL that is the store's keyed pool, where each statement is planned once per
// connection with sequential scans ruled out (store/connect.ts, store/prepared-client.ts).
import type { Db } from './database.ts';

const keyedDbs = new WeakMap<Db, Db>();

export const registerKeyedDb = (db: Db, keyedDb: Db): void => void keyedDbs.set(db, keyedDb);

/** The keyed pool of the store `db` belongs to, or `db` itself (PGlite, a transaction, a store without one). */
export const keyedDbOf = (db: Db): Db => keyedDbs.get(db) ?? db;
