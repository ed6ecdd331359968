// A sign-in submission's reads in one statement (store/queries/sign-in.ts): the flow, the account of the
// identifier typed as the driver returns users rows, and the live lockout counters of that account (or of the
// unknown identifier) and of the client — the same answers the separate lookups give.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { readSignInSubmission } from '../../src/store/queries/sign-in.ts';
import { findUserById } from '../../src/store/queries/users.ts';
import { findFlow } from '../../src/store/queries/flows.ts';
import { asyncCommitDbOf, keyedDbOf, registerKeyedDb } from '../../src/store/keyed-db.ts';
import { StatementCounter } from '../fixtures/statement-counter.ts';

describe('reading a sign-in submission in one statement', () => {
  let t: TestApp;
  let userId: string;
  let flowId: string;
  const prefix = 'nyckel:signin-fail-acct:T:';
  beforeAll(async () => {
    t = await startTestApp();
    userId = (await t.createUser({ email: 'reader@example.com', password: 'Right-Passw0rd!', displayName: 'Reader' })).id;
    const res = await fetch(`${t.url}/contoso/B2C_1_signin/signin/api`, { method: 'POST', headers: { accept: 'application/json' } });
    flowId = ((await res.json()) as { id: string }).id;
    const later = Date.now() + 600_000;
    await sql`insert into rate_limits (key, points, expire) values
      (${`${prefix}${userId}`}, 3, ${later}::bigint), (${`${prefix}unknown:ghost@example.com`}, 5, ${later}::bigint),
      ('nyckel:ip:T:10.0.0.1', 7, ${later}::bigint), ('nyckel:ip:T:10.0.0.2', 9, ${Date.now() - 1000}::bigint)`.execute(t.nyckel.services.db);
  });
  afterAll(async () => t.close());

  const read = (canonicalId: string | undefined, ip: string, id = flowId) =>
    readSignInSubmission(t.nyckel.services.db, {
      flowId: id,
      tenantId: t.tenant.id,
      signInType: 'emailAddress',
      canonicalId,
      counters: { accountKeyPrefix: prefix, unknownAccount: `unknown:${canonicalId}`, otherKeys: [`nyckel:ip:T:${ip}`], now: Date.now() },
    });

  it('gives the flow and the user exactly as the separate lookups do, with the account counter by user id', async () => {
    const r = await read('reader@example.com', '10.0.0.1');
    expect(r.flow).toEqual(await findFlow(t.nyckel.services.db, flowId));
    const user = await findUserById(t.nyckel.services.db, t.tenant.id, userId);
    expect(r.user).toEqual(user);
    expect(r.user?.created_at).toBeInstanceOf(Date);
    expect(r.user?.sessions_valid_after).toBeInstanceOf(Date);
    expect(r.counters.map((c) => [c.key, c.points]).sort()).toEqual([
      ['nyckel:ip:T:10.0.0.1', 7],
      [`${prefix}${userId}`, 3],
    ]);
  });

  it('without an account: no user, the unknown identifier counted instead, expired counters left out', async () => {
    const r = await read('ghost@example.com', '10.0.0.2');
    expect(r.user).toBeUndefined();
    expect(r.flow?.id).toBe(flowId);
    expect(r.counters).toEqual([{ key: `${prefix}unknown:ghost@example.com`, points: 5, expire: expect.any(String) }]);
  });

  it('a flow that does not exist and an identifier that does not canonicalise read as absent', async () => {
    const r = await read(undefined, '10.0.0.3', 'no-such-flow-0000000');
    expect(r).toEqual({ flow: undefined, user: undefined, counters: [] });
  });

  it('submissions read together share one statement, and each gets the answer it gets alone', async () => {
    const asks: Array<[string | undefined, string, string?]> = [
      ['reader@example.com', '10.0.0.1'],
      ['ghost@example.com', '10.0.0.2'],
      [undefined, '10.0.0.3', 'no-such-flow-0000000'],
      ['reader@example.com', '10.0.0.2'],
    ];
    const alone = [];
    for (const ask of asks) alone.push(await read(...ask));
    const statements = new StatementCounter();
    const db = t.nyckel.services.db;
    const keyed = keyedDbOf(db);
    registerKeyedDb(db, keyed.withPlugin(statements), asyncCommitDbOf(db));
    let together;
    try {
      together = await Promise.all(asks.map((ask) => read(...ask)));
    } finally {
      registerKeyedDb(db, keyed, asyncCommitDbOf(db));
    }
    expect(statements.results).toBe(1);
    for (const r of [...alone, ...together]) r.counters.sort((a, b) => a.key.localeCompare(b.key));
    expect(together).toEqual(alone);
    expect(together[3]!.user?.id).toBe(userId);
    expect(together[3]!.counters.map((c) => c.key)).toEqual([`${prefix}${userId}`]);
  });
});
