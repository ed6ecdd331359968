// The purge of expired flows takes their verification codes with it (codes carry no foreign key to their flow,
// so no cascade does it; migration 004), and leaves live flows and their codes alone.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { newResetFlow, submit } from '../fixtures/reset-api.ts';
import { deleteExpiredFlows } from '../../src/store/queries/flows.ts';

describe('purging expired flows', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ codes: { resendCooldownSeconds: 0 } });
    await t.setSspr('all');
  });
  afterAll(async () => t.close());

  const codesOf = async (flowId: string) =>
    Number((await sql<{ n: string }>`select count(*)::text as n from verification_codes where flow_id = ${flowId}`.execute(t.nyckel.services.db)).rows[0]?.n);
  const flowExists = async (flowId: string) =>
    (await sql`select 1 from flows where id = ${flowId}`.execute(t.nyckel.services.db)).rows.length === 1;

  it('deletes flows that expired before the cut-off together with their codes, and nothing else', async () => {
    const old = await newResetFlow(t);
    const live = await newResetFlow(t);
    for (const flow of [old, live]) expect((await submit(t, flow, { action: 'send_code', email: 'purge@example.com' })).json.state).toBe('code_sent');
    // A second code for the old flow: the first is superseded, both rows exist.
    expect((await submit(t, old, { action: 'resend_code' })).json.state).toBe('code_sent');
    expect(await codesOf(old.id)).toBe(2);
    expect(await codesOf(live.id)).toBe(1);

    await sql`update flows set expires_at = now() - interval '2 days' where id = ${old.id}`.execute(t.nyckel.services.db);
    const purged = await deleteExpiredFlows(t.nyckel.services.db, new Date(Date.now() - 86_400_000));

    expect(purged).toBe(1);
    expect(await flowExists(old.id)).toBe(false);
    expect(await codesOf(old.id)).toBe(0);
    expect(await flowExists(live.id)).toBe(true);
    expect(await codesOf(live.id)).toBe(1);
  });
});
