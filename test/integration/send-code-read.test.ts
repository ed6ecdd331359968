// "Send verification code" spends its rate limits as its flow is read (flows/common/flow-store.ts,
// loadFlowSpending): on PostgreSQL in one statement, elsewhere side by side. What that must keep: every
// well-formed request is counted, whatever its flow turns out to be, and the limits still hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKeyedDb } from '../../src/store/keyed-db.ts';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { messageCodesOf, newResetFlow, submit } from '../fixtures/reset-api.ts';
import { loggingPools } from '../fixtures/logging-pool.ts';

describe('send code: limits spent as the flow is read', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ limits: { codesPerAddressPerHour: 3 } });
    await t.setSspr('all');
  });
  afterAll(() => t.close());

  it('counts a request whose flow is unknown, and one the flow cannot take, against the address', async () => {
    const address = 'counted@example.com';
    const unknown = await submit(t, { id: 'AAAAAAAAAAAAAAAAAAAAAA' }, { action: 'send_code', email: address });
    expect(unknown.status).toBe(404);
    const sent = await newResetFlow(t);
    expect((await submit(t, sent, { action: 'send_code', email: address })).json.state).toBe('code_sent');
    // The flow is at code_sent now: send_code is not one of its actions, and is counted all the same.
    expect((await submit(t, sent, { action: 'send_code', email: address })).status).toBe(409);
    const last = await submit(t, await newResetFlow(t), { action: 'send_code', email: address });
    expect(last.status).toBe(429);
    expect(messageCodesOf(last.json)).toContain('password_reset.throttled');
  });

});

describe('send code: nothing spent for an address that is not well-formed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ limits: { resetRequestsPerIp: 2 } });
    await t.setSspr('all');
  });
  afterAll(() => t.close());

  it('leaves the per-IP limit untouched by requests it answers email.invalid', async () => {
    const flow = await newResetFlow(t);
    for (let i = 0; i < 4; i++) expect((await submit(t, flow, { action: 'send_code', email: 'not-an-address' })).status).toBe(400);
    expect((await submit(t, flow, { action: 'send_code', email: 'first@example.com' })).json.state).toBe('code_sent');
    expect((await submit(t, await newResetFlow(t), { action: 'send_code', email: 'second@example.com' })).json.state).toBe('code_sent');
    expect((await submit(t, await newResetFlow(t), { action: 'send_code', email: 'third@example.com' })).status).toBe(429);
  });
});

// Which connections carry a send_code on PostgreSQL: logging pools stand in for the store's keyed pool and
// its async-commit (limits) pool, on the same database.
describe.skipIf(!testDatabaseUrl)('send code on PostgreSQL: one statement reads the flow and spends both limits', () => {
  let store: TestStore;
  let t: TestApp;
  let logged: ReturnType<typeof loggingPools<'keyed' | 'limits'>>;
  const seen = () => logged.seen;

  beforeAll(async () => {
    store = await createTestStore();
    logged = loggingPools(store.databaseUrl!);
    const keyed = logged.open('keyed');
    const limits = logged.open('limits', '-c synchronous_commit=off');
    store.store.limitsDb = limits;
    registerKeyedDb(store.store.db, keyed, limits);
    t = await startTestApp({}, { store: store.store });
    await t.setSspr('all');
  });
  afterAll(async () => {
    await t?.close();
    await logged?.end();
    await store?.cleanup();
  });

  it('reads the flow in the statement that spends the limits, then writes the step: two statements, no flow lookup of its own', async () => {
    const flow = await newResetFlow(t);
    seen().length = 0;
    const res = await submit(t, flow, { action: 'send_code', email: 'one-statement@example.com' });
    expect(res.json.state).toBe('code_sent');
    const statements = seen().filter((q) => !/from "?outbox"?|update "?outbox"?/.test(q.sql)); // the dispatcher's own
    expect(statements.map((q) => q.pool)).toEqual(['limits', 'limits']);
    expect(statements[0]!.sql).toMatch(/insert into rate_limits/);
    expect(statements[0]!.sql).toMatch(/from flows where id = any/);
    expect(statements[1]!.sql).toMatch(/^with h as \(\s*update flows/);
  });

  it('still reads the flow alone where nothing is spent with it (verify_code)', async () => {
    const flow = await newResetFlow(t);
    await submit(t, flow, { action: 'send_code', email: 'alone@example.com' });
    seen().length = 0;
    await submit(t, flow, { action: 'verify_code', code: '000000' });
    expect(seen().some((q) => q.pool === 'keyed' && /from "flows"/.test(q.sql))).toBe(true);
  });
});
