import { sql } from 'kysely';
import type { Db, SignInType } from '../database.ts';
import { keyedDbOf } from '../keyed-db.ts';

export type UserRow = Awaited<ReturnType<typeof findUserById>> & object;

export const findUserById = (db: Db, tenantId: string, id: string) =>
  db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();

/** The user owning the identity of this type whose canonical form is exactly `canonicalId` (on every sign-in). */
export const findUserByIdentity = (db: Db, tenantId: string, type: SignInType, canonicalId: string) =>
  keyedDbOf(db)
    .selectFrom('identities')
    .innerJoin('users', 'users.id', 'identities.user_id')
    .selectAll('users')
    .where('identities.tenant_id', '=', tenantId)
    .where('identities.sign_in_type', '=', type)
    .where('identities.canonical_id', '=', canonicalId)
    .executeTakeFirst();

/** The timestamp columns of users: a row read as JSON (to_jsonb) has them as text. Keep in step with the table. */
const USER_TIMESTAMPS = ['password_changed_at', 'sessions_valid_after', 'created_at', 'updated_at'] as const;

/** A users row read as JSON (`to_jsonb(users)`), typed as the driver would have returned it. */
export function userFromJson(json: Record<string, unknown>): UserRow {
  const row: Record<string, unknown> = { ...json };
  for (const column of USER_TIMESTAMPS) if (typeof row[column] === 'string') row[column] = new Date(row[column]);
  return row as UserRow;
}

export const listIdentities = (db: Db, userId: string) =>
  db.selectFrom('identities').selectAll().where('user_id', '=', userId).orderBy('sign_in_type').execute();

export async function insertUser(
  db: Db,
  user: {
    id: string;
    tenant_id: string;
    display_name: string | null;
    given_name: string | null;
    surname: string | null;
    email: string | null;
    email_verified: boolean;
    password_hash: string | null;
    account_enabled?: boolean;
  },
  identities: Array<{ sign_in_type: SignInType; issuer: string; issuer_assigned_id: string; canonical_id: string }>,
) {
  // Inside a caller's transaction (sign-up moves its flow in the same one) run there; otherwise open one.
  const inTransaction = <T>(work: (tx: Db) => Promise<T>) => (db.isTransaction ? work(db) : db.transaction().execute(work));
  return inTransaction(async (tx) => {
    const row = await tx
      .insertInto('users')
      .values({ ...user, password_changed_at: user.password_hash ? new Date() : null })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const identity of identities) {
      await tx.insertInto('identities').values({ id: crypto.randomUUID(), tenant_id: user.tenant_id, user_id: user.id, ...identity }).execute();
    }
    return row;
  });
}

export const setAccountEnabled = (db: Db, tenantId: string, id: string, enabled: boolean) =>
  db.updateTable('users').set({ account_enabled: enabled, updated_at: new Date() }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();

/** Sets a new password and invalidates every session issued before now, in one statement. */
export async function replacePassword(db: Db, userId: string, hash: string) {
  const row = await db
    .updateTable('users')
    .set({
      password_hash: hash,
      password_changed_at: sql<Date>`clock_timestamp()`,
      sessions_valid_after: sql<Date>`clock_timestamp()`,
      force_password_change: false,
      updated_at: sql<Date>`clock_timestamp()`,
    })
    .where('id', '=', userId)
    .returning(['id', 'password_changed_at'])
    .executeTakeFirst();
  return row;
}

export const updatePasswordHash = (db: Db, userId: string, hash: string) =>
  db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();

export const countUsers = async (db: Db, tenantId: string) =>
  Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow()).n);
