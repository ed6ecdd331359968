// The dev inbox end to end: dispatcher → dev_mail + one console line → /dev/mail pages and JSON.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevInboxTransport } from '../../src/mail/dev-inbox.ts';
import { registerDevInbox } from '../../src/mail/dev-inbox-routes.ts';
import { createDispatcher, type Dispatcher } from '../../src/mail/dispatcher.ts';
import { enqueueMail, type MailRequest } from '../../src/mail/outbox.ts';
import type { Db } from '../../src/store/database.ts';
import { createTestStore, type TestStore } from '../fixtures/test-database.ts';

let t: TestStore;
let db: Db;
let app: FastifyInstance;
let dispatcher: Dispatcher;
const lines: string[] = [];
const quiet = { info() {}, warn() {}, error() {} };

beforeAll(async () => {
  t = await createTestStore();
  db = t.store.db;
  dispatcher = createDispatcher({ db, transport: createDevInboxTransport(db, (l) => lines.push(l)), logger: quiet, maxAttempts: 3, pollMs: 60_000 });
  app = Fastify();
  await registerDevInbox(app, { db });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.cleanup();
});

async function send(overrides: Partial<Omit<MailRequest, 'params'>> & { params?: Partial<MailRequest['params']> } = {}) {
  lines.length = 0;
  const { params, ...rest } = overrides;
  const id = await enqueueMail(db, {
    tenantId: null,
    template: 'reset_code',
    recipient: 'alice@example.com',
    locale: 'en',
    holdsSecret: true,
    ...rest,
    params: { tenantName: 'Contoso', code: '482913', minutes: 10, ...params },
  });
  await dispatcher.drainOnce();
  return id;
}

describe('dev inbox', () => {
  it('stores the message, removes the code from the outbox row and prints one line with the code', async () => {
    const outboxId = await send();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[dev-inbox\] to=alice@example\.com subject="Contoso account verification code" code=482913 id=[0-9a-f-]{36}$/);
    const outbox = await db.selectFrom('outbox').selectAll().where('id', '=', outboxId).executeTakeFirstOrThrow();
    expect(outbox).toMatchObject({ status: 'sent', params: { tenantName: 'Contoso', minutes: 10 } });
    expect(JSON.stringify(outbox)).not.toContain('482913');
  });

  it('prints no code for a mail without one', async () => {
    await send({ template: 'password_changed', holdsSecret: false, params: { time: '1 May 2025 at 14:03 UTC', ip: '203.0.113.7', resetUrl: 'https://id.example/reset' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('code=');
  });

  it('serves the newest mail for an address as JSON', async () => {
    await send({ recipient: 'bob@example.com', params: { code: '111111' } });
    await send({ recipient: 'bob@example.com', params: { code: '222222' } });
    const res = await app.inject({ url: '/dev/mail.json?to=Bob@Example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const mails = res.json<Array<{ id: string; to: string; subject: string; text: string; html: string; createdAt: string }>>();
    expect(mails.map((m) => m.to)).toEqual(['bob@example.com', 'bob@example.com']);
    expect(mails[0]?.text).toContain('Your code is: 222222');
    expect(mails[1]?.text).toContain('Your code is: 111111');
    expect(Date.parse(mails[0]?.createdAt ?? '')).not.toBeNaN();
  });

  it('lists and shows messages with all content escaped and message HTML sandboxed', async () => {
    const hostile = '<script>alert(document.cookie)</script>';
    await send({ recipient: 'carol@example.com', params: { tenantName: hostile } });
    const [mail] = await db.selectFrom('dev_mail').selectAll().where('recipient', '=', 'carol@example.com').execute();
    if (!mail) throw new Error('no dev mail');

    const list = await app.inject({ url: '/dev/mail' });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toContain('text/html');
    expect(list.body).toContain('carol@example.com');
    expect(list.body).toContain(`href="/dev/mail/${mail.id}"`);
    expect(list.body).not.toContain('<script');

    const one = await app.inject({ url: `/dev/mail/${mail.id}` });
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain('<script');
    expect(one.headers['content-security-policy']).toContain("default-src 'none'");
    expect(one.headers['content-security-policy']).not.toContain('script-src');
    const srcdoc = /<iframe sandbox="" srcdoc="([^"]*)"/.exec(one.body)?.[1];
    const decoded = srcdoc?.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
    expect(decoded).toBe(mail.body_html); // the iframe shows exactly the stored message
    expect(one.body).toContain('482913'); // the text version, in <pre>
  });

  it('answers 404 for an unknown message and 400 for a malformed id', async () => {
    expect((await app.inject({ url: '/dev/mail/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/dev/mail/not-a-uuid' })).statusCode).toBe(400);
  });
});
