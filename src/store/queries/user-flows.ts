import type { Db, UserFlowSettings, UserFlowType } from '../database.ts';

export const findUserFlow = (db: Db, tenantId: string, name: string) =>
  db.selectFrom('user_flows').selectAll().where('tenant_id', '=', tenantId).where('canonical_name', '=', name.toLowerCase()).executeTakeFirst();

export const listUserFlows = (db: Db, tenantId: string) =>
  db.selectFrom('user_flows').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();

export const insertUserFlow = (db: Db, row: { id: string; tenant_id: string; name: string; type: UserFlowType; settings: UserFlowSettings }) =>
  db
    .insertInto('user_flows')
    .values({ ...row, canonical_name: row.name.toLowerCase(), settings: JSON.stringify(row.settings) })
    .returningAll()
    .executeTakeFirstOrThrow();

export const updateUserFlowSettings = (db: Db, id: string, settings: UserFlowSettings) =>
  db.updateTable('user_flows').set({ settings: JSON.stringify(settings) }).where('id', '=', id).returningAll().executeTakeFirst();
