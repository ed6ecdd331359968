// Opens the database named by the config: PostgreSQL through a pg pool, or embedded PGlite in dataDir.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './database.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { lockDataDir } from './embedded-lock.ts';
import { CUSTOM_PLANS, GENERIC_KEYED_PLANS, PreparedStatementClient } from './prepared-client.ts';
import { registerKeyedDb } from './keyed-db.ts';

export interface Store {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The pg pool (PostgreSQL only). */
  pool?: pg.Pool;
  /** PostgreSQL only: the connection string, for connections of their own (e.g. LISTEN). */
  url?: string;
  /**
   * PostgreSQL only: a few connections for the hot statements that reach every row through an index key —
   * flow and user lookups and flow steps (store/keyed-db.ts). Each statement is planned once per connection,
   * with sequential scans ruled out (store/prepared-client.ts).
   */
  keyedDb?: Db;
  /**
   * PostgreSQL only: the same kind of connections for rate-limit counters (limits/postgres-store.ts), with
   * synchronous_commit=off: counters are hot rows whose locks should not wait for a WAL flush. The flow steps
   * that only send a code commit here too (store/guarded-write.ts, `Durability`).
   */
  limitsDb?: Db;
  close(): Promise<void>;
}

// Return timestamps as Date and bigint counts as numbers-as-strings, the same on both drivers.
pg.types.setTypeParser(20, (v) => v);

export interface StoreOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  memory?: boolean;
  /** PostgreSQL: named prepared statements (store/prepared-client.ts). Default true. */
  preparedStatements?: boolean;
}

function pgPool(connectionString: string, max: number, Client: typeof pg.Client, options: string | undefined): { pool: pg.Pool; db: Db } {
  const pool = new pg.Pool({ connectionString, max, Client, options });
  pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing
  return { pool, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const prepared = options.preparedStatements !== false;
    const Client = prepared ? PreparedStatementClient : pg.Client;
    const settings = (plans: string, ...extra: string[]) => [...(prepared ? [plans] : []), ...extra].join(' ') || undefined;
    const { pool, db } = pgPool(options.databaseUrl, options.poolSize ?? 10, Client, settings(CUSTOM_PLANS));
    const keyedDb = pgPool(options.databaseUrl, 4, Client, settings(GENERIC_KEYED_PLANS)).db;
    const limitsDb = pgPool(options.databaseUrl, 4, Client, settings(GENERIC_KEYED_PLANS, '-c synchronous_commit=off')).db;
    registerKeyedDb(db, keyedDb, limitsDb);
    return {
      db,
      kind: 'postgres',
      pool,
      url: options.databaseUrl,
      keyedDb,
      limitsDb,
      close: async () => {
        await Promise.all([db.destroy(), keyedDb.destroy(), limitsDb.destroy()]);
      },
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  let dir: string | undefined;
  let unlock = () => {};
  if (!options.memory) {
    dir = join(options.dataDir, 'pgdata');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(join(options.dataDir, 'pgdata.lock'));
  }
  try {
    const pglite = await PGlite.create(dir);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      kind: 'pglite',
      close: async () => {
        try {
          await db.destroy();
        } finally {
          unlock();
        }
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}
