import { sql } from 'kysely';
import type { Db } from '../database.ts';

export type SigningKeyRow = Awaited<ReturnType<typeof listPublishedKeys>>[number];

/** The signing key first, then retired keys still published (newest first). */
export const listPublishedKeys = (db: Db, tenantId: string) =>
  db
    .selectFrom('signing_keys')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('publish_until', '>', new Date())]))
    .orderBy(sql`retired_at is null`, 'desc')
    .orderBy('created_at', 'desc')
    .execute();

/** Inserts the tenant's signing key unless another process just did (one active key per tenant). */
export const insertActiveKey = (db: Db, row: { kid: string; tenant_id: string; public_jwk: Record<string, string>; private_jwk: string }) =>
  db
    .insertInto('signing_keys')
    .values({ ...row, alg: 'RS256', public_jwk: JSON.stringify(row.public_jwk) })
    .onConflict((oc) => oc.column('tenant_id').where('retired_at', 'is', null).doNothing())
    .execute();

export const retireActiveKey = (db: Db, tenantId: string, publishUntil: Date) =>
  db
    .updateTable('signing_keys')
    .set({ retired_at: new Date(), publish_until: publishUntil })
    .where('tenant_id', '=', tenantId)
    .where('retired_at', 'is', null)
    .returning('kid')
    .executeTakeFirst();
