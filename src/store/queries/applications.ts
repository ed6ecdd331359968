import type { ApplicationType, Db } from '../database.ts';

export type ApplicationRow = NonNullable<Awaited<ReturnType<typeof findApplication>>>;

export const findApplication = (db: Db, tenantId: string, id: string) =>
  db.selectFrom('applications').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();

export const findBuiltInApplication = (db: Db, tenantId: string, builtIn: string) =>
  db.selectFrom('applications').selectAll().where('tenant_id', '=', tenantId).where('built_in', '=', builtIn).executeTakeFirst();

export const deleteApplication = (db: Db, tenantId: string, id: string) =>
  db.deleteFrom('applications').where('tenant_id', '=', tenantId).where('id', '=', id).execute();

export const listApplications = (db: Db, tenantId: string) =>
  db.selectFrom('applications').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();

export const insertApplication = (
  db: Db,
  row: { id: string; tenant_id: string; name: string; type: ApplicationType; redirect_uris: string[]; secret_hashes: string[]; built_in?: string },
) =>
  db
    .insertInto('applications')
    .values({ ...row, redirect_uris: JSON.stringify(row.redirect_uris), secret_hashes: JSON.stringify(row.secret_hashes), built_in: row.built_in ?? null })
    .onConflict((oc) => oc.columns(['tenant_id', 'built_in']).doNothing())
    .returningAll()
    .executeTakeFirst();
