import type { Db, TenantSettings } from '../database.ts';
import { sql } from 'kysely';
import { DIRECTORY_CHANNEL, invalidateDirectoryConfig } from '../../directory/config-cache.ts';

// Writes here invalidate the config cache of this process and, by notification, of every other process on
// the database, once the statement has committed (they run outside transactions); see directory/config-cache.ts.
export async function directoryChanged(db: Db): Promise<void> {
  invalidateDirectoryConfig();
  await sql`select pg_notify(${DIRECTORY_CHANNEL}, '')`.execute(db);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant by name, `{name}.onmicrosoft.com` alias, or id — the three forms B2C URLs use. */
export async function findTenantByKey(db: Db, key: string) {
  const lower = key.toLowerCase();
  if (UUID.test(lower)) return db.selectFrom('tenants').selectAll().where('id', '=', lower).executeTakeFirst();
  const name = lower.endsWith('.onmicrosoft.com') ? lower.slice(0, -'.onmicrosoft.com'.length) : lower;
  return db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
}

export const findTenantById = (db: Db, id: string) => db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();

export const listTenants = (db: Db) => db.selectFrom('tenants').selectAll().orderBy('name').execute();

export async function insertTenant(db: Db, row: { id: string; name: string; display_name: string; settings: TenantSettings }) {
  const tenant = await db.insertInto('tenants').values({ ...row, settings: JSON.stringify(row.settings) }).returningAll().executeTakeFirstOrThrow();
  await directoryChanged(db);
  return tenant;
}

export async function updateTenantSettings(db: Db, id: string, settings: TenantSettings) {
  const tenant = await db.updateTable('tenants').set({ settings: JSON.stringify(settings) }).where('id', '=', id).returningAll().executeTakeFirst();
  await directoryChanged(db);
  return tenant;
}
