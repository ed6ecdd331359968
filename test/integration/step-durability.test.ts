// Which flow steps commit without waiting for the WAL flush (store/guarded-write.ts, Durability): only those
// that send a code. The test puts logging connections in place of the store's keyed and async-commit pools
// (same database) and runs a whole reset over the API, then looks at which pool carried each step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKeyedDb } from '../../src/store/keyed-db.ts';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { newResetFlow, submit } from '../fixtures/reset-api.ts';
import { loggingPools } from '../fixtures/logging-pool.ts';

const pgOnly = !testDatabaseUrl;

describe('flow step durability', () => {
  let store: TestStore;
  let t: TestApp;
  let logged: ReturnType<typeof loggingPools<'keyed' | 'async'>>;
  const seen = () => logged.seen;

  beforeAll(async () => {
    if (pgOnly) return;
    store = await createTestStore();
    logged = loggingPools(store.databaseUrl!);
    registerKeyedDb(store.store.db, logged.open('keyed'), logged.open('async', '-c synchronous_commit=off'));
    t = await startTestApp({}, { store: store.store });
    await t.setSspr('all');
    await t.createUser({ email: 'alice@example.com', password: 'Old-Passw0rd!x' });
  });
  afterAll(async () => {
    if (pgOnly) return;
    await t.close();
    await logged.end();
    await store.cleanup();
  });

  const steps = () => seen().filter((q) => q.sql.startsWith('with h as')).map((q) => q.pool);

  it.skipIf(pgOnly)('sending and re-sending a code commit asynchronously; verifying, changing the e-mail and setting the password are durable', async () => {
    const flow = await newResetFlow(t);
    seen().length = 0;
    expect((await submit(t, flow, { action: 'send_code', email: 'not an address' })).status).toBe(400);
    expect(steps()).toEqual(['async']);
    seen().length = 0;
    const first = t.mail.length;
    expect((await submit(t, flow, { action: 'send_code', email: 'alice@example.com' })).json.state).toBe('code_sent');
    expect(steps()).toEqual(['async']);
    await t.waitForMail('alice@example.com', { after: first }); // delivered, so it cannot pass for the next code's mail
    seen().length = 0;
    expect((await submit(t, flow, { action: 'resend_code' })).status).toBe(429); // within the cooldown
    expect(steps()).toEqual(['async']);
    seen().length = 0;
    expect((await submit(t, flow, { action: 'change_email' })).json.state).toBe('identify');
    expect(steps()).toEqual(['keyed']);
    seen().length = 0;
    const before = t.mail.length;
    await submit(t, flow, { action: 'send_code', email: 'alice@example.com' });
    const code = t.codeFrom(await t.waitForMail('alice@example.com', { after: before }));
    seen().length = 0;
    const verified = await submit(t, flow, { action: 'verify_code', code });
    expect(verified.json.state, verified.text).toBe('new_password');
    expect(steps()).toEqual(['keyed']);
    seen().length = 0;
    expect((await submit(t, flow, { action: 'set_password', password: 'Brand-New-Pa55!', confirm_password: 'Brand-New-Pa55!' })).json.state).toBe('done');
    expect(steps().every((p) => p === 'keyed')).toBe(true);
  });
});
