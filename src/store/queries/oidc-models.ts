// oidc-provider's models, one row each. Every statement is scoped to one tenant: a token of one tenant is
// never found by another tenant's provider. Expired rows are never returned and are swept periodically.
import { sql } from 'kysely';
import type { Db } from '../database.ts';

export interface ModelKey {
  tenantId: string;
  model: string;
}

const live = sql<boolean>`(expires_at is null or expires_at > now())`;

export async function upsertModel(db: Db, k: ModelKey, id: string, payload: Record<string, unknown>, expiresIn: number | undefined) {
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const row = {
    payload: JSON.stringify(payload),
    grant_id: str(payload.grantId),
    uid: str(payload.uid),
    user_code: str(payload.userCode),
    account_id: str(payload.accountId),
    expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
  };
  await db
    .insertInto('oidc_models')
    .values({ tenant_id: k.tenantId, model: k.model, id, ...row })
    .onConflict((oc) => oc.columns(['tenant_id', 'model', 'id']).doUpdateSet(row))
    .execute();
}

const findBy = async (db: Db, k: ModelKey, column: 'id' | 'uid' | 'user_code', value: string) =>
  (
    await db
      .selectFrom('oidc_models')
      .select('payload')
      .where('tenant_id', '=', k.tenantId)
      .where('model', '=', k.model)
      .where(column, '=', value)
      .where(live)
      .executeTakeFirst()
  )?.payload;

export const findModel = (db: Db, k: ModelKey, id: string) => findBy(db, k, 'id', id);
export const findModelByUid = (db: Db, k: ModelKey, uid: string) => findBy(db, k, 'uid', uid);
export const findModelByUserCode = (db: Db, k: ModelKey, userCode: string) => findBy(db, k, 'user_code', userCode);

/** Marks a single-use artifact (authorization code) as used; oidc-provider rejects and revokes on reuse. */
export const consumeModel = (db: Db, k: ModelKey, id: string) =>
  db
    .updateTable('oidc_models')
    .set({ payload: sql`payload || jsonb_build_object('consumed', floor(extract(epoch from now()))::bigint)` })
    .where('tenant_id', '=', k.tenantId)
    .where('model', '=', k.model)
    .where('id', '=', id)
    .execute();

export const destroyModel = (db: Db, k: ModelKey, id: string) =>
  db.deleteFrom('oidc_models').where('tenant_id', '=', k.tenantId).where('model', '=', k.model).where('id', '=', id).execute();

/** Everything issued under one grant (codes, tokens, the grant itself), of every model. */
export const revokeGrant = (db: Db, tenantId: string, grantId: string) =>
  db.deleteFrom('oidc_models').where('tenant_id', '=', tenantId).where('grant_id', '=', grantId).execute();

/**
 * Every grant, token, code and provider session of one user (after a password change). A provider session
 * that an unfinished interaction of the same user still refers to is kept, so a reset done inside an app's
 * sign-in can return to the app; it cannot sign anyone in by itself (see interaction-policy.ts).
 */
export async function revokeAccount(db: Db, tenantId: string, accountId: string, models: readonly string[]) {
  await sql`
    delete from oidc_models m
    where m.tenant_id = ${tenantId}
      and m.model in (${sql.join([...models])})
      and (m.account_id = ${accountId}
           or m.grant_id in (select g.id from oidc_models g where g.tenant_id = ${tenantId} and g.model = 'Grant' and g.account_id = ${accountId}))
      and not (m.model = 'Session' and exists (
        select 1 from oidc_models i
        where i.tenant_id = ${tenantId} and i.model = 'Interaction' and ${live}
          and i.payload->'session'->>'uid' = m.uid and i.payload->'session'->>'accountId' = ${accountId}))`.execute(db);
}

export const deleteExpiredModels = (db: Db, before: Date) => db.deleteFrom('oidc_models').where('expires_at', '<', before).execute();
