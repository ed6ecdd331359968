import type { Db } from '../database.ts';

export const insertSession = (
  db: Db,
  row: { id: string; tenant_id: string; user_id: string; expires_at: Date; ip: string | null; user_agent: string | null; auth_time?: Date },
) => db.insertInto('sessions').values(row).execute();

/** A live session: not revoked, not expired, and issued after the user's sessions_valid_after. */
export const findLiveSession = (db: Db, id: string, tenantId: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.user_id', 'sessions.auth_time', 'sessions.created_at', 'users.account_enabled'])
    .where('sessions.id', '=', id)
    .where('sessions.tenant_id', '=', tenantId)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', new Date())
    .whereRef('sessions.created_at', '>', 'users.sessions_valid_after')
    .executeTakeFirst();

export const revokeSession = (db: Db, id: string) => db.updateTable('sessions').set({ revoked_at: new Date() }).where('id', '=', id).execute();

export const revokeSessionsOfUser = (db: Db, userId: string) =>
  db.updateTable('sessions').set({ revoked_at: new Date() }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
