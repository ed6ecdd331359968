// Requests write rows that name their tenant (flows, codes, outbox, sessions, audit) but take no lock on the
// tenant's own row. A foreign key to tenants would: each insert checks the key with FOR KEY SHARE on that one
// row, so every request of a tenant would write a lock onto the same row (migration 004 says what it cost).
// A row lock leaves the locker's transaction id in the row's xmax; an untouched row keeps xmax 0.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf } from '../fixtures/browserless.ts';
import { newResetFlow, submit } from '../fixtures/reset-api.ts';

describe('the tenant row under requests', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const tenantXmax = async () =>
    (await sql<{ xmax: string }>`select xmax::text as xmax from tenants where id = ${t.tenant.id}::uuid`.execute(t.nyckel.services.db)).rows[0]?.xmax;

  it('is not locked by a sign-in, a reset request or the delivery of its mail', async () => {
    await t.createUser({ email: 'row@example.com', password: 'Row-Passw0rd!x' });
    await t.setSspr('all');
    expect(await tenantXmax()).toBe('0');

    const b = new Browserless(t.url);
    const page = await b.get('/contoso/B2C_1_signin/signin');
    const f = formOf(page.body);
    const signedIn = await b.postForm(f.action, { csrf_token: f.csrf, identifier: 'row@example.com', password: 'Row-Passw0rd!x' });
    expect(new URL(signedIn.url, t.url).pathname).toBe('/contoso/B2C_1_signin/signed-in');

    const before = t.mail.length;
    const flow = await newResetFlow(t);
    const sent = await submit(t, flow, { action: 'send_code', email: 'row@example.com' });
    expect(sent.json.state).toBe('code_sent');
    await t.waitForMail('row@example.com', { after: before });

    expect(await tenantXmax()).toBe('0');
  });
});
