// SECURITY.md "Completing a reset": consumption is atomic — exactly one of many parallel completions wins.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { submit, verifiedFlow } from '../fixtures/reset-api.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.setSspr('all');
  await t.createUser({ email: 'race@example.com', password: 'Old-Passw0rd!x' });
});
afterAll(async () => t.close());

it('20 parallel completions: exactly one changes the password, one notice is sent', async () => {
  const id = await verifiedFlow(t, 'race@example.com');
  const mailBefore = t.mail.length;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => submit(t, { id }, { action: 'set_password', password: `Winner-${i}-Pa55!`, confirm_password: `Winner-${i}-Pa55!` })),
  );
  const winners = results.filter((r) => r.status === 200 && r.json.state === 'done');
  expect(winners).toHaveLength(1);
  expect(results.filter((r) => r.status === 409)).toHaveLength(19);
  const events = await t.nyckel.store.db.selectFrom('audit_events').select('type').where('type', '=', 'password_reset.completed').execute();
  expect(events).toHaveLength(1);
  await t.waitForMail('race@example.com', { after: mailBefore });
  await new Promise((r) => setTimeout(r, 200));
  expect(t.mail.slice(mailBefore).filter((m) => m.to === 'race@example.com')).toHaveLength(1);
});
