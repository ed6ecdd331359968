import type { Db } from '../database.ts';

export const findGroupByName = (db: Db, tenantId: string, canonicalName: string) =>
  db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('canonical_name', '=', canonicalName).executeTakeFirst();

export const findGroupsByIds = (db: Db, tenantId: string, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();

export const listGroups = (db: Db, tenantId: string) => db.selectFrom('groups').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute();

export const insertGroup = (db: Db, row: { id: string; tenant_id: string; name: string; canonical_name: string }) =>
  db.insertInto('groups').values(row).returningAll().executeTakeFirstOrThrow();

export const addMember = (db: Db, groupId: string, userId: string) =>
  db.insertInto('group_members').values({ group_id: groupId, user_id: userId }).onConflict((oc) => oc.doNothing()).execute();

export async function isMemberOfAny(db: Db, userId: string, groupIds: string[]): Promise<boolean> {
  if (groupIds.length === 0) return false;
  const row = await db.selectFrom('group_members').select('group_id').where('user_id', '=', userId).where('group_id', 'in', groupIds).executeTakeFirst();
  return row !== undefined;
}
