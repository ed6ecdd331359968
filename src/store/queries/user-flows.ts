import type { Db, UserFlowSettings, UserFlowType } from '../database.ts';
import { directoryChanged } from './tenants.ts';

// Writes invalidate the config caches after their statement (directory/config-cache.ts).
async function invalidating<T>(db: Db, write: Promise<T>): Promise<T> {
  const result = await write;
  await directoryChanged(db);
  return result;
}

export const findUserFlow = (db: Db, tenantId: string, name: string) =>
  db.selectFrom('user_flows').selectAll().where('tenant_id', '=', tenantId).where('canonical_name', '=', name.toLowerCase()).executeTakeFirst();

export const listUserFlows = (db: Db, tenantId: string) =>
  db.selectFrom('user_flows').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();

export const insertUserFlow = (db: Db, row: { id: string; tenant_id: string; name: string; type: UserFlowType; settings: UserFlowSettings }) =>
  invalidating(
    db,
    db
      .insertInto('user_flows')
      .values({ ...row, canonical_name: row.name.toLowerCase(), settings: JSON.stringify(row.settings) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );

export const updateUserFlowSettings = (db: Db, id: string, settings: UserFlowSettings) =>
  invalidating(db, db.updateTable('user_flows').set({ settings: JSON.stringify(settings) }).where('id', '=', id).returningAll().executeTakeFirst());
