// The reset code travels over a real SMTP session: the test's SMTP server receives it and the code read
// from the received message completes the reset.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { decodeQuotedPrintable, startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.ts';
import { newResetFlow, submit } from '../fixtures/reset-api.ts';

let sink: SmtpSink;
let t: TestApp;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await startTestApp({ smtpUrl: sink.url, mailFrom: 'Contoso <no-reply@contoso.test>' }, { smtp: true });
  await t.setSspr('all');
  await t.createUser({ email: 'smtp@example.com', password: 'Old-Passw0rd!x' });
});
afterAll(async () => {
  await t.close();
  await sink.close();
});

it('delivers the code by SMTP, scrubs it from the outbox, and the received code resets the password', async () => {
  const flow = await newResetFlow(t);
  await submit(t, flow, { action: 'send_code', email: 'smtp@example.com' });
  const message = await sink.waitFor((m) => m.to.includes('smtp@example.com'), 10_000);
  const text = decodeQuotedPrintable(message.raw);
  expect(text).toContain('Contoso');
  const code = /\b(\d{6})\b/.exec(text.split('\n').filter((l) => !/^(date|message-id|x-)/i.test(l)).join('\n'))?.[1];
  expect(code).toBeDefined();
  const verified = await submit(t, flow, { action: 'verify_code', code: code! });
  expect(verified.json.state).toBe('new_password');
  const row = await t.nyckel.store.db.selectFrom('outbox').selectAll().where('recipient', '=', 'smtp@example.com').executeTakeFirstOrThrow();
  expect(row.status).toBe('sent');
  expect(JSON.stringify(row)).not.toContain(code);
});
