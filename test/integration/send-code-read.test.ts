// "Send verification code" spends its rate limits as its flow is read (flows/common/flow-store.ts,
// loadFlowSpending): on PostgreSQL in one statement, elsewhere side by side. What that must keep: every
// well-formed request is counted, whatever its flow turns out to be, and the limits still hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
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
// its async-commit (limits) pool, on the same database. A second app on the same store is a second process:
// it has its own flows in memory (flows/common/waiting-flows.ts).
describe.skipIf(!testDatabaseUrl)('send code on PostgreSQL: the limits are spent in the step, or as the flow is read', () => {
  let store: TestStore;
  let t: TestApp;
  let other: TestApp;
  let logged: ReturnType<typeof loggingPools<'keyed' | 'limits'>>;
  const seen = () => logged.seen;
  /** The statements of the requests, without the mail dispatcher's own. */
  const stepStatements = () => seen().filter((q) => !/from "?outbox"?|update "?outbox"?|txid_current/.test(q.sql));
  const counter = async (address: string) =>
    Number((await sql<{ points: number }>`select points from rate_limits where key = ${`nyckel:codes-addr:${t.tenant.id}:${address}`}`.execute(store.store.db)).rows[0]?.points ?? 0);

  beforeAll(async () => {
    store = await createTestStore();
    logged = loggingPools(store.databaseUrl!);
    const keyed = logged.open('keyed');
    const limits = logged.open('limits', '-c synchronous_commit=off');
    store.store.limitsDb = limits;
    registerKeyedDb(store.store.db, keyed, limits);
    t = await startTestApp({ limits: { codesPerAddressPerHour: 3 } }, { store: store.store });
    other = await startTestApp({ limits: { codesPerAddressPerHour: 3 } }, { store: store.store });
    await t.setSspr('all');
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
    await logged?.end();
    await store?.cleanup();
  });

  /** A send_code to `t` on a new flow of `creator`'s: the statements it ran. */
  async function sendCodeStatements(creator: TestApp, email: string) {
    const flow = await newResetFlow(creator);
    seen().length = 0;
    const res = await submit(t, flow, { action: 'send_code', email });
    expect(res.json.state).toBe('code_sent');
    return stepStatements();
  }

  it('spends both limits, moves the flow and writes the code in ONE statement for a flow this process created', async () => {
    const statements = await sendCodeStatements(t, 'one-statement@example.com');
    expect(statements.map((q) => q.pool)).toEqual(['limits']);
    expect(statements[0]!.sql).toMatch(/insert into rate_limits/);
    expect(statements[0]!.sql).toMatch(/update flows f set/);
    expect(statements[0]!.sql).toMatch(/insert into "verification_codes"/);
    expect(await counter('one-statement@example.com')).toBe(1);
    expect(t.codeFrom(await t.waitForMail('one-statement@example.com'))).toMatch(/^\d{6}$/);
  });

  it('reads the flow in the statement that spends the limits when another process created it, then writes the step', async () => {
    const statements = await sendCodeStatements(other, 'two-statements@example.com');
    expect(statements.map((q) => q.pool)).toEqual(['limits', 'limits']);
    expect(statements[0]!.sql).toMatch(/insert into rate_limits/);
    expect(statements[0]!.sql).toMatch(/from flows where id = any/);
    expect(statements[1]!.sql).toMatch(/^with h as \(\s*update flows/);
    expect(await counter('two-statements@example.com')).toBe(1);
  });

  it('starts again from a read when another process moved the flow meanwhile, spending the limits once', async () => {
    const flow = await newResetFlow(t);
    expect((await submit(other, flow, { action: 'send_code', email: 'moved@example.com' })).json.state).toBe('code_sent');
    expect((await submit(other, flow, { action: 'change_email' })).json.state).toBe('identify');
    seen().length = 0;
    const res = await submit(t, flow, { action: 'send_code', email: 'moved@example.com' });
    expect(res.status).toBe(200);
    expect(res.json.state).toBe('code_sent');
    // The step from memory (spent, moved nothing), the read, the step from the read (no second spend).
    const statements = stepStatements();
    expect(statements.map((q) => q.pool)).toEqual(['limits', 'keyed', 'limits']);
    expect(statements[2]!.sql).not.toMatch(/rate_limits/);
    expect(await counter('moved@example.com')).toBe(2);
  });

  it('writes nothing but the spends when a limit refuses, and answers throttled like a read flow would', async () => {
    const address = 'refused@example.com';
    for (let i = 0; i < 3; i++) expect((await submit(t, await newResetFlow(t), { action: 'send_code', email: address })).json.state).toBe('code_sent');
    const mailsTo = () => t.mail.filter((m) => m.to === address).length;
    for (let i = 0; mailsTo() < 3 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
    expect(mailsTo()).toBe(3);
    const flow = await newResetFlow(t);
    const refused = await submit(t, flow, { action: 'send_code', email: address });
    expect(refused.status).toBe(429);
    expect(refused.json.state).toBe('identify');
    expect(messageCodesOf(refused.json)).toContain('password_reset.throttled');
    expect(await counter(address)).toBe(4);
    const codes = await sql<{ n: string }>`select count(*)::text as n from verification_codes where flow_id = ${flow.id}`.execute(store.store.db);
    expect(codes.rows[0]!.n).toBe('0');
    t.nyckel.dispatcher.wake();
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo()).toBe(3);
  });

  it('lets exactly the allowed number through when requests for one address arrive together', async () => {
    const address = 'together@example.com';
    const flows = await Promise.all(Array.from({ length: 8 }, () => newResetFlow(t)));
    const results = await Promise.all(flows.map((f) => submit(t, f, { action: 'send_code', email: address })));
    expect(results.filter((r) => r.status === 200 && r.json.state === 'code_sent')).toHaveLength(3);
    expect(results.filter((r) => r.status === 429)).toHaveLength(5);
    expect(await counter(address)).toBe(8);
  });

  it('still reads the flow alone where nothing is spent with it (verify_code)', async () => {
    const flow = await newResetFlow(t);
    await submit(t, flow, { action: 'send_code', email: 'alone@example.com' });
    seen().length = 0;
    await submit(t, flow, { action: 'verify_code', code: '000000' });
    expect(seen().some((q) => q.pool === 'keyed' && /from "flows"/.test(q.sql))).toBe(true);
  });
});
