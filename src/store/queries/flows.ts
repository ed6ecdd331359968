import { sql } from 'kysely';
import type { Db } from '../database.ts';
import { batcherFor, createBatcher } from '../batcher.ts';
import { anyOf } from '../prepared-client.ts';
import { keyedDbOf } from '../keyed-db.ts';

const selectFlows = (db: Db, ids: string[]) => db.selectFrom('flows').selectAll().where('id', '=', anyOf(ids, 'text')).execute();

export type FlowRow = Awaited<ReturnType<typeof selectFlows>>[number];

/** A flow by id. Concurrent lookups are coalesced into one statement (store/batcher.ts): this runs on every step. */
export function findFlow(db: Db, id: string): Promise<FlowRow | undefined> {
  const run = batcherFor(db, 'find-flow', () =>
    createBatcher<string, FlowRow | undefined>({
      run: async (ids) => {
        const rows = await selectFlows(keyedDbOf(db), [...new Set(ids)]);
        const byId = new Map(rows.map((r) => [r.id, r]));
        return ids.map((i) => byId.get(i));
      },
    }),
  );
  return run(id);
}

export const insertFlow = (
  db: Db,
  row: { id: string; tenant_id: string; kind: string; state: string; csrf_hash: string; browser: boolean; data: Record<string, unknown>; expires_at: Date },
) => db.insertInto('flows').values({ ...row, data: JSON.stringify(row.data) }).returningAll().executeTakeFirstOrThrow();

/** Ends every pending flow of a user (after a password change): they expire now. */
export const expireFlowsOfUser = (db: Db, userId: string, exceptId?: string) => {
  let q = db.updateTable('flows').set({ expires_at: new Date(0), updated_at: new Date() }).where('user_id', '=', userId).where('expires_at', '>', new Date());
  if (exceptId) q = q.where('id', '!=', exceptId);
  return q.execute();
};

/** Deletes flows that expired before `before`, and their codes with them (one statement: codes have no foreign key). */
export const deleteExpiredFlows = async (db: Db, before: Date): Promise<number> => {
  const { rows } = await sql<{ flows: string }>`
    with gone as (delete from flows where expires_at < ${before} returning id),
         codes as (delete from verification_codes where flow_id in (select id from gone))
    select count(*)::text as flows from gone`.execute(db);
  return Number(rows[0]?.flows ?? 0);
};
