import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { insertWhere, type Effect } from '../guarded-write.ts';

/**
 * A new code for a flow, as effects of a guarded write (store/guarded-write.ts): every earlier live code of the
 * flow is superseded (a new code kills the old) and the new one inserted, with the flow's move.
 */
export function insertCodeEffects(row: { id: string; tenant_id: string; flow_id: string; purpose: string; address: string; code_hmac: string; max_attempts: number; expires_at: Date }): Effect[] {
  const now = new Date();
  return [
    { kind: 'update', table: 'verification_codes', set: { superseded_at: { value: now, type: 'timestamptz' } }, match: { flow_id: { value: row.flow_id, type: 'text' } }, also: 't.superseded_at is null and t.consumed_at is null' },
    insertWhere('verification_codes', row, { id: 'uuid', tenant_id: 'uuid', max_attempts: 'int', expires_at: 'timestamptz' }),
  ];
}

/**
 * Counts one attempt on the flow's live code before any comparison, atomically, so N parallel guesses can
 * never make more than max_attempts comparisons. Returns the row as it is after the increment, or undefined
 * when no live code with attempts left exists.
 */
export const spendAttempt = (db: Db, flowId: string) =>
  db
    .updateTable('verification_codes')
    .set({ attempts: sql<number>`attempts + 1` })
    .where('flow_id', '=', flowId)
    .where('superseded_at', 'is', null)
    .where('consumed_at', 'is', null)
    .where('attempts', '<', sql<number>`max_attempts`)
    .where('expires_at', '>', sql<Date>`now()`)
    .returning(['id', 'address', 'code_hmac', 'attempts', 'max_attempts'])
    .executeTakeFirst();

/** Why no attempt could be spent: which live (unsuperseded, unconsumed) code exists, if any. */
export const findLiveCode = (db: Db, flowId: string) =>
  db
    .selectFrom('verification_codes')
    .select(['id', 'attempts', 'max_attempts', 'expires_at'])
    .where('flow_id', '=', flowId)
    .where('superseded_at', 'is', null)
    .where('consumed_at', 'is', null)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();

/** Single use: exactly one caller consumes a code. */
export const consumeCode = (db: Db, id: string) =>
  db.updateTable('verification_codes').set({ consumed_at: new Date() }).where('id', '=', id).where('consumed_at', 'is', null).returning('id').executeTakeFirst();

export const invalidateCodesOfFlow = (db: Db, flowId: string) =>
  db.updateTable('verification_codes').set({ superseded_at: new Date() }).where('flow_id', '=', flowId).where('superseded_at', 'is', null).execute();

export const lastCodeSentAt = async (db: Db, flowId: string) =>
  (await db.selectFrom('verification_codes').select('created_at').where('flow_id', '=', flowId).orderBy('created_at', 'desc').executeTakeFirst())?.created_at;
