// The run's database: with NYCKEL_DATABASE_URL a fresh `nyckel_bench_<random>` on that server (dropped at the
// end), else embedded PGlite in the run's temp data directory. Seeded directly with SQL before the server
// starts: the demo tenant with SSPR on for all, and N users sharing one precomputed argon2id hash.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { openStore } from '../../src/store/connect.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createHasher } from '../../src/credentials/hasher.ts';
import { canonicaliseEmail } from '../../src/directory/canonicalise.ts';
import { ssprSet, tenantCreate } from '../../src/admin/operations.ts';
import { addressOf, PASSWORD, TENANT } from './shape.ts';

export interface BenchDatabase {
  /** URL the server uses (PostgreSQL), or undefined for embedded. */
  url?: string;
  name?: string;
  drop(): Promise<void>;
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(adminUrl: string | undefined): Promise<BenchDatabase> {
  if (!adminUrl) return { drop: async () => {} };
  const name = `nyckel_bench_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

export interface SeedResult {
  tenantId: string;
  users: number;
  hash: string;
  ms: number;
}

export async function seed(opts: { databaseUrl?: string; dataDir: string; users: number }): Promise<SeedResult> {
  const t0 = performance.now();
  const store = await openStore({ dataDir: opts.dataDir, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) });
  const hasher = createHasher({ concurrency: 1 });
  try {
    await migrate(store.db);
    const deps = { db: store.db, hasher };
    const actor = { name: 'bench' };
    const tenant = await tenantCreate(deps, actor, { name: TENANT, displayName: 'Contoso' });
    await ssprSet(deps, actor, TENANT, { mode: 'all' });
    const hash = await hasher.hash(PASSWORD);
    // The SQL below builds addresses as user-<7 digits>@bench.example, already canonical: check that.
    for (const i of [0, opts.users - 1]) {
      const c = canonicaliseEmail(addressOf('existing', i));
      if (!c.ok || c.value !== addressOf('existing', i)) throw new Error(`seed address ${addressOf('existing', i)} is not canonical`);
    }
    await sql`
      insert into users (id, tenant_id, display_name, given_name, surname, email, email_verified, password_hash, password_changed_at)
      select gen_random_uuid(), ${tenant.id}::uuid, 'Bench User ' || i, 'Bench', 'User ' || i,
             'user-' || lpad(i::text, 7, '0') || '@bench.example', true, ${hash}, now()
      from generate_series(0, ${opts.users - 1}::int) as i`.execute(store.db);
    await sql`
      insert into identities (id, tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id, canonical_id)
      select gen_random_uuid(), tenant_id, id, 'emailAddress', ${`${TENANT}.onmicrosoft.com`}, email, email
      from users where tenant_id = ${tenant.id}::uuid and email like 'user-%@bench.example'`.execute(store.db);
    await sql`analyze`.execute(store.db);
    const n = Number((await sql<{ n: string }>`select count(*) as n from identities where tenant_id = ${tenant.id}::uuid`.execute(store.db)).rows[0]?.n);
    if (n !== opts.users) throw new Error(`seeded ${n} identities, expected ${opts.users}`);
    return { tenantId: tenant.id, users: n, hash, ms: performance.now() - t0 };
  } finally {
    await hasher.close();
    await store.close();
  }
}
