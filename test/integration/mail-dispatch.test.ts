// Outbox → dispatcher → a real SMTP session. Runs on in-memory PGlite, and on PostgreSQL too when
// NYCKEL_TEST_DATABASE_URL is set (where the concurrent-dispatcher test uses two separate pools).
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDispatcher, type DispatcherOptions, type HandedMail } from '../../src/mail/dispatcher.ts';
import { enqueueMail } from '../../src/mail/outbox.ts';
import { createSmtpTransport as createPooledSmtpTransport } from '../../src/mail/smtp-transport.ts';
import type { MailTransport } from '../../src/mail/transport.ts';
import { openStore, type Store } from '../../src/store/connect.ts';
import type { Db } from '../../src/store/database.ts';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.ts';
import { createTestStore, type TestStore } from '../fixtures/test-database.ts';
import { queueLeased } from '../fixtures/leased-mail.ts';
import { StatementCounter } from '../fixtures/statement-counter.ts';

const CODE = '482913';
let t: TestStore;
let db: Db;
let sink: SmtpSink;

beforeAll(async () => {
  t = await createTestStore();
  db = t.store.db;
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
  await t.cleanup();
});
beforeEach(async () => {
  await db.deleteFrom('outbox').execute();
  sink.messages.length = 0;
});

// Pooled transports keep their SMTP sessions open: close them, or the sink's close() waits for its timeout.
const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const transport of opened.splice(0)) transport.close();
});
function createSmtpTransport(...args: Parameters<typeof createPooledSmtpTransport>) {
  const transport = createPooledSmtpTransport(...args);
  opened.push(transport);
  return transport;
}

function recordingLogger() {
  const entries: Array<{ level: string; o: object; m?: string }> = [];
  const at = (level: string) => (o: object, m?: string) => void entries.push({ level, o, ...(m ? { m } : {}) });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}

function dispatcher(transport: MailTransport, extra: Partial<DispatcherOptions> = {}) {
  const logger = recordingLogger();
  return { logger, d: createDispatcher({ db, transport, logger, maxAttempts: 5, pollMs: 60_000, ...extra }) };
}

const enqueueReset = (database: Db = db, recipient = 'alice@example.com', code = CODE) =>
  enqueueMail(database, {
    tenantId: null,
    template: 'reset_code',
    recipient,
    locale: 'en',
    params: { tenantName: 'Contoso', code, minutes: 10 },
    holdsSecret: true,
  });

const row = (id: string) => db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('mail dispatch over SMTP', () => {
  it('delivers a code mail rendered from its params, marks it sent and removes the code', async () => {
    const { d, logger } = dispatcher(createSmtpTransport(sink.url, 'Contoso <no-reply@contoso.example>'));
    const id = await enqueueReset();
    expect(await d.drainOnce()).toBe(1);

    expect(sink.messages).toHaveLength(1);
    const [message] = sink.messages;
    expect(message?.to).toEqual(['alice@example.com']);
    expect(message?.from).toBe('no-reply@contoso.example');
    expect(message?.raw).toContain('Subject: Contoso account verification code');
    expect(message?.raw).toContain(`Your code is: ${CODE}`);

    const sent = await row(id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, last_error: null, body_text: null, body_html: null, params: { tenantName: 'Contoso', minutes: 10 } });
    expect(JSON.stringify(sent)).not.toContain(CODE);
    expect(sent.sent_at).toBeInstanceOf(Date);
    expect(sent.subject).toBe('Contoso account verification code');
    expect(logger.entries).toEqual([{ level: 'info', o: { outboxId: id, template: 'reset_code', status: 'sent', attempts: 1 }, m: 'mail sent' }]);
    expect(await d.drainOnce()).toBe(0);
  });

  it('keeps the params of a mail that holds no secret, and renders it in its language', async () => {
    const { d } = dispatcher(createSmtpTransport(sink.url, 'no-reply@contoso.example'));
    const before = sink.messages.length;
    const id = await enqueueMail(db, { tenantId: null, template: 'test', recipient: 'ops@example.com', locale: 'sv', params: { tenantName: 'Contoso' }, holdsSecret: false });
    await d.drainOnce();
    const sent = await row(id);
    expect(sent.status).toBe('sent');
    expect(sent.params).toEqual({ tenantName: 'Contoso' });
    expect(sink.messages.slice(before).map((m) => m.raw).join('')).toMatch(/testmeddelande fr=C3=A5n Contoso|testmeddelande från Contoso/);
  });

  it('still delivers a row queued before migration 007 (rendered bodies, no params) and scrubs its bodies', async () => {
    const { d } = dispatcher(createSmtpTransport(sink.url, 'no-reply@contoso.example'));
    const before = sink.messages.length;
    const id = '00000000-0000-4000-8000-00000000a007';
    await db
      .insertInto('outbox')
      .values({ id, tenant_id: null, template: 'reset_code', recipient: 'old@example.com', locale: 'en', subject: 'Old subject', body_text: `Old body, code ${CODE}`, body_html: `<p>Old body, code ${CODE}</p>`, holds_secret: true })
      .execute();
    expect(await d.drainOnce()).toBe(1);
    const raw = sink.messages.slice(before).map((m) => m.raw).join('');
    expect(raw).toContain('Subject: Old subject');
    expect(raw).toContain(`Old body, code ${CODE}`);
    expect(await row(id)).toMatchObject({ status: 'sent', params: null, body_text: '[scrubbed]', body_html: '[scrubbed]' });
  });

  it('enqueues inside the caller’s transaction: nothing on rollback, one row on commit', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await enqueueReset(trx);
        throw new Error('caller failed after writing its code row');
      }),
    ).rejects.toThrow('caller failed');
    expect(await db.selectFrom('outbox').select('id').execute()).toHaveLength(0);
    const id = await db.transaction().execute((trx) => enqueueReset(trx));
    expect(await row(id)).toMatchObject({ status: 'pending', holds_secret: true, recipient: 'alice@example.com' });
  });

  it('refuses a recipient that could inject headers or add recipients', async () => {
    for (const recipient of ['a@example.com\r\nBcc: x@evil.example', 'a@example.com, x@evil.example', 'A <a@example.com>']) {
      await expect(enqueueReset(db, recipient)).rejects.toThrow(/single plain address/);
    }
  });

  it('retries a rejected recipient with growing attempts and dead-letters it after maxAttempts', async () => {
    const rejecting = await startSmtpSink({ rejectRcpt: true });
    const smtp = createSmtpTransport(rejecting.url, 'no-reply@contoso.example');
    try {
      const { d, logger } = dispatcher(smtp, { maxAttempts: 3, backoffMs: () => 0 });
      const id = await enqueueReset();
      for (const attempts of [1, 2]) {
        expect(await d.drainOnce()).toBe(1);
        const r = await row(id);
        expect(r).toMatchObject({ status: 'pending', attempts });
        expect(r.last_error).toMatch(/451/);
        expect(r.params).toMatchObject({ code: CODE }); // still needed for the next attempt
      }
      expect(await d.drainOnce()).toBe(1);
      const dead = await row(id);
      expect(dead).toMatchObject({ status: 'dead', attempts: 3, sent_at: null, body_text: null, body_html: null });
      expect(JSON.stringify(dead)).not.toContain(CODE);
      expect(dead.last_error).not.toContain(CODE);
      expect(await d.drainOnce()).toBe(0);
      expect(logger.entries.map((e) => e.level)).toEqual(['warn', 'warn', 'error']);
      expect(JSON.stringify(logger.entries)).not.toContain(CODE);
      expect(rejecting.messages).toHaveLength(0);
    } finally {
      smtp.close(); // its session stays open after a refusal; the sink's close() would wait for it
      await rejecting.close();
    }
  });

  it('backs off exponentially when the SMTP server is down', async () => {
    const port = await closedPort();
    const { d } = dispatcher(createSmtpTransport(`smtp://127.0.0.1:${port}`, 'no-reply@contoso.example'));
    const id = await enqueueReset();
    const before = Date.now();
    expect(await d.drainOnce()).toBe(1);
    const r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r.last_error).toMatch(/ECONNREFUSED/);
    // First retry after 2 s ± 25 %.
    const delay = r.next_attempt_at.getTime() - before;
    expect(delay).toBeGreaterThan(1000);
    expect(delay).toBeLessThan(3500);
    expect(await d.drainOnce()).toBe(0); // not due yet
  });

  it('delivers when woken, and stop() waits for the batch in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const sending = new Promise<void>((r) => (entered = r));
    const smtp = createSmtpTransport(sink.url, 'no-reply@contoso.example');
    const slow: MailTransport = {
      async send(msg) {
        entered();
        await gate;
        await smtp.send(msg);
      },
    };
    const { d } = dispatcher(slow);
    d.start();
    const id = await enqueueReset();
    d.wake();
    await sending;
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await row(id)).status).toBe('sent');
    expect(sink.messages.map((m) => m.to)).toEqual([['alice@example.com']]);
  });

  it('delivers each message exactly once with two dispatchers draining concurrently', async () => {
    // On PostgreSQL the second dispatcher has its own pool, like a second process.
    const other: Store | undefined = t.databaseUrl ? await openStore({ databaseUrl: t.databaseUrl, dataDir: '.' }) : undefined;
    try {
      const recipients = Array.from({ length: 40 }, (_, i) => `user${i}@example.com`);
      for (const [i, r] of recipients.entries()) await enqueueReset(db, r, String(100000 + i));
      const one = createDispatcher({ db, transport: createSmtpTransport(sink.url, 'a@contoso.example'), logger: recordingLogger(), maxAttempts: 3, pollMs: 60_000, batchSize: 4 });
      const two = createDispatcher({ db: other?.db ?? db, transport: createSmtpTransport(sink.url, 'b@contoso.example'), logger: recordingLogger(), maxAttempts: 3, pollMs: 60_000, batchSize: 4 });
      const drainAll = async (d: typeof one) => {
        let total = 0;
        for (let n = await d.drainOnce(); n > 0; n = await d.drainOnce()) total += n;
        return total;
      };
      const [a, b] = await Promise.all([drainAll(one), drainAll(two)]);
      expect(a + b).toBe(40);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
      expect(sink.messages.flatMap((m) => m.to).sort()).toEqual([...recipients].sort());
      const statuses = await db.selectFrom('outbox').select(['status', 'attempts']).execute();
      expect(statuses.every((s) => s.status === 'sent' && s.attempts === 1)).toBe(true);
    } finally {
      await other?.close();
    }
  });
});

describe('mail dispatch cost: sessions, statements, concurrency', () => {
  it('delivers many mails over a few reused SMTP sessions', async () => {
    const sessionsBefore = sink.sessions;
    const recipients = Array.from({ length: 30 }, (_, i) => `pooled${i}@example.com`);
    for (const [i, r] of recipients.entries()) await enqueueReset(db, r, String(200000 + i));
    const { d } = dispatcher(createSmtpTransport(sink.url, 'no-reply@contoso.example', { poolSize: 3 }), { concurrency: 3 });
    expect(await d.drainOnce()).toBe(30); // one batch (default batchSize 50)
    expect(await d.drainOnce()).toBe(0);

    expect(sink.messages.flatMap((m) => m.to).sort()).toEqual([...recipients].sort());
    expect(sink.sessions - sessionsBefore).toBeLessThanOrEqual(3);
    const rows = await db.selectFrom('outbox').select(['status', 'attempts', 'params']).execute();
    expect(rows).toHaveLength(30);
    for (const r of rows) expect(r).toEqual({ status: 'sent', attempts: 1, params: { tenantName: 'Contoso', minutes: 10 } });
  });

  it('records a batch of sends in one UPDATE; a failed send in it stays pending for a retry', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await enqueueReset(db, `batch${i}@example.com`, String(300000 + i)));
    const failing = 'batch3@example.com';
    const delivered: string[] = [];
    const transport: MailTransport = {
      async send(msg) {
        if (msg.to === failing) throw Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 });
        delivered.push(msg.to);
      },
    };
    const counter = new StatementCounter();
    const logger = recordingLogger();
    const d = createDispatcher({ db: db.withPlugin(counter), transport, logger, maxAttempts: 5, pollMs: 60_000, backoffMs: () => 60_000 });
    expect(await d.drainOnce()).toBe(6);

    // claim + one UPDATE for the five sent rows + one for the failure
    expect(counter.updates).toBe(3);
    expect(delivered.sort()).toEqual(['batch0@example.com', 'batch1@example.com', 'batch2@example.com', 'batch4@example.com', 'batch5@example.com']);
    for (const [i, id] of ids.entries()) {
      const r = await row(id);
      if (i === 3) {
        expect(r).toMatchObject({ status: 'pending', attempts: 1, sent_at: null });
        expect(r.last_error).toMatch(/451/);
        expect(r.params).toMatchObject({ code: String(300000 + i) }); // kept for the retry
        expect(r.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 30_000);
      } else {
        expect(r).toMatchObject({ status: 'sent', attempts: 1, last_error: null, params: { tenantName: 'Contoso', minutes: 10 } });
        expect(r.sent_at).toBeInstanceOf(Date);
      }
    }
    expect(logger.entries.filter((e) => e.m === 'mail sent')).toHaveLength(5);
    expect(JSON.stringify(logger.entries)).not.toMatch(/30000\d/);

    // The failed row comes back when due, and is then sent.
    await db.updateTable('outbox').set({ next_attempt_at: new Date(Date.now() - 1000) }).where('id', '=', ids[3]!).execute();
    const retry = createDispatcher({ db, transport: { send: async (msg) => void delivered.push(msg.to) }, logger, maxAttempts: 5, pollMs: 60_000 });
    expect(await retry.drainOnce()).toBe(1);
    expect(await row(ids[3]!)).toMatchObject({ status: 'sent', attempts: 2, last_error: null, params: { tenantName: 'Contoso', minutes: 10 } });
    expect(delivered.filter((to) => to === failing)).toHaveLength(1);
  });

  it('under a stream of wakes, passes are at least gapMs apart, so each claim carries many rows', async () => {
    const delivered: string[] = [];
    const transport: MailTransport = { send: async (msg) => void delivered.push(msg.to) };
    const counter = new StatementCounter();
    const d = createDispatcher({ db: db.withPlugin(counter), transport, logger: recordingLogger(), maxAttempts: 5, pollMs: 60_000, gapMs: 1000 });
    d.start();
    await vi.waitFor(() => expect(counter.updates).toBe(1)); // the start-up pass (nothing due)
    // One mail every few ms, each followed by a wake, as requests do; all of it well inside one gap.
    for (let i = 0; i < 8; i++) {
      await enqueueReset(db, `stream${i}@example.com`, String(500000 + i));
      d.wake();
      await new Promise((r) => setTimeout(r, 5));
    }
    await vi.waitFor(() => expect(delivered).toHaveLength(8), { timeout: 5000 });
    await d.stop();
    // The first wake runs a pass at once; every later one waits for the gap and they share a pass: at most
    // two passes of claim + record after the start-up claim, where a pass per wake would be eight.
    expect(counter.updates).toBeGreaterThanOrEqual(3);
    expect(counter.updates).toBeLessThanOrEqual(5);
  });

  it('keeps at most `concurrency` sends in flight', async () => {
    for (let i = 0; i < 10; i++) await enqueueReset(db, `conc${i}@example.com`, String(400000 + i));
    let inFlight = 0;
    let most = 0;
    const transport: MailTransport = {
      async send() {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
      },
    };
    const { d } = dispatcher(transport, { concurrency: 3 });
    expect(await d.drainOnce()).toBe(10);
    expect(most).toBe(3);
    const statuses = await db.selectFrom('outbox').select('status').execute();
    expect(statuses.every((s) => s.status === 'sent')).toBe(true);
  });

  it('starts no send after half the lease: rows not started are released without counting an attempt', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await enqueueReset(db, `late${i}@example.com`, String(500000 + i)));
    const sent: string[] = [];
    const slow: MailTransport = {
      async send(msg) {
        await new Promise((r) => setTimeout(r, 1200));
        sent.push(msg.to);
      },
    };
    const { d } = dispatcher(slow, { concurrency: 1, leaseMs: 2000 });
    expect(await d.drainOnce()).toBe(3);
    expect(sent).toHaveLength(1);
    const rows = await Promise.all(ids.map(row));
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(1);
    const released = rows.filter((r) => r.status === 'pending');
    expect(released).toHaveLength(2);
    for (const r of released) {
      expect(r.attempts).toBe(0);
      expect(r.next_attempt_at.getTime()).toBeLessThanOrEqual(Date.now());
    }
    // Due again at once: the next pass takes them.
    const { d: next } = dispatcher({ send: async (msg) => void sent.push(msg.to) });
    expect(await next.drainOnce()).toBe(2);
    expect(new Set(sent).size).toBe(3);
  });
});

describe('mail handed over by the steps of this process', () => {
  const queueCode = (recipient: string, code: string, leaseMs?: number): Promise<HandedMail> =>
    queueLeased(db, { tenantId: null, template: 'reset_code', recipient, locale: 'en', params: { tenantName: 'Contoso', code, minutes: 10 }, holdsSecret: true }, leaseMs);

  it('sends handed rows after a durable commit of its own, without claiming them', async () => {
    const counter = new StatementCounter();
    const delivered: Array<{ to: string; statementsBefore: string[] }> = [];
    const transport: MailTransport = { send: async (msg) => void delivered.push({ to: msg.to, statementsBefore: [...counter.kinds] }) };
    const d = createDispatcher({ db: db.withPlugin(counter), transport, logger: recordingLogger(), maxAttempts: 5, pollMs: 60_000 });
    expect(d.handoverLease()).toBeUndefined(); // not started: queue mail due, and wake
    d.start();
    expect(d.handoverLease()).toBe(120_000);
    await vi.waitFor(() => expect(counter.updates).toBe(1)); // the start-up claim (nothing due)
    const handed = [await queueCode('hand0@example.com', '610001'), await queueCode('hand1@example.com', '610002'), await queueCode('hand2@example.com', '610003')];
    d.hand(handed);
    await vi.waitFor(() => expect(delivered).toHaveLength(3));
    await d.stop();
    // The start-up claim (its select of due rows inside its UPDATE), then for the handed rows: the durable
    // commit (a raw statement) before any send, and one UPDATE recording all three as sent. No claim.
    const claim = ['SelectQueryNode', 'UpdateQueryNode'];
    expect(counter.kinds).toEqual([...claim, 'RawNode', 'UpdateQueryNode']);
    expect(delivered[0]!.statementsBefore).toEqual([...claim, 'RawNode']);
    const rows = await db.selectFrom('outbox').select(['recipient', 'status', 'attempts', 'params', 'next_attempt_at']).orderBy('recipient').execute();
    expect(rows.map((r) => r.recipient)).toEqual(['hand0@example.com', 'hand1@example.com', 'hand2@example.com']);
    for (const [i, r] of rows.entries()) {
      expect(r).toMatchObject({ status: 'sent', attempts: 1, params: { tenantName: 'Contoso', minutes: 10 } });
      expect(r.next_attempt_at.getTime()).toBe(handed[i]!.leasedUntil); // the lease it was queued with
    }
  });

  it('a leased row is no other dispatcher\'s until its lease ends; a stopping dispatcher releases what it holds', async () => {
    const other = () => dispatcher(createSmtpTransport(sink.url, 'no-reply@contoso.example'));
    const kept = await queueCode('kept@example.com', '620001');
    const { d: second } = other();
    expect(await second.drainOnce()).toBe(0);
    // Handed to a dispatcher that stops before it sends: released, and the next claim takes it.
    const { d: stopping } = dispatcher({ send: async () => expect.unreachable('a stopped dispatcher sends nothing') });
    stopping.hand([kept]);
    await stopping.stop();
    expect(await row(kept.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await second.drainOnce()).toBe(1);
    expect(sink.messages.map((m) => m.to)).toEqual([['kept@example.com']]);
    expect(await row(kept.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('leaves a handed row whose lease is half over to a claim', async () => {
    const late = await queueCode('late-hand@example.com', '630001', 1000);
    const sent: string[] = [];
    const { d } = dispatcher({ send: async (msg) => void sent.push(msg.to) }, { leaseMs: 1000 });
    d.start();
    await new Promise((r) => setTimeout(r, 600)); // past half of the lease it was queued with
    d.hand([late]);
    await vi.waitFor(async () => expect((await row(late.id)).next_attempt_at.getTime()).toBeLessThanOrEqual(Date.now()));
    await d.stop();
    expect(sent).toEqual([]);
    expect(await row(late.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });
});

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}
