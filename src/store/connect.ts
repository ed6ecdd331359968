// Opens the database named by the config: PostgreSQL through a pg pool, or embedded PGlite in dataDir.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, Db } from './database.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { lockDataDir } from './embedded-lock.ts';
import { CUSTOM_PLANS, PreparedStatementClient } from './prepared-client.ts';

export interface Store {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The pg pool (PostgreSQL only). */
  pool?: pg.Pool;
  /** PostgreSQL only: the connection string, for connections of their own (e.g. LISTEN). */
  url?: string;
  /**
   * PostgreSQL only: a few connections with synchronous_commit=off for rate-limit counters, hot rows whose
   * locks should not wait for a WAL flush (limits/postgres-store.ts).
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

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const prepared = options.preparedStatements !== false;
    const Client = prepared ? PreparedStatementClient : pg.Client;
    const settings = (...extra: string[]) => [...(prepared ? [CUSTOM_PLANS] : []), ...extra].join(' ') || undefined;
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10, Client, options: settings() });
    pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const limitsPool = new pg.Pool({ connectionString: options.databaseUrl, max: 4, options: settings('-c synchronous_commit=off'), Client });
    limitsPool.on('error', () => {});
    const limitsDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: limitsPool }) });
    return {
      db,
      kind: 'postgres',
      pool,
      url: options.databaseUrl,
      limitsDb,
      close: async () => {
        await Promise.all([db.destroy(), limitsDb.destroy()]);
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
