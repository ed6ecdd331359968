// With PostgreSQL the mail dispatcher runs on a thread of its own (mail/threaded-dispatcher.ts). A thread that
// dies is logged and started again; mail queued meanwhile stays in the outbox and goes out once the new thread
// runs. PostgreSQL only: the embedded database is one connection in the main thread, so there is no thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFrom } from '../../src/config/load.ts';
import { enqueueMail } from '../../src/mail/outbox.ts';
import { startDispatcherThread, type ThreadedDispatcher } from '../../src/mail/threaded-dispatcher.ts';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';
import { startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.ts';
import { queueLeased } from '../fixtures/leased-mail.ts';

describe.skipIf(!testDatabaseUrl)('mail dispatcher thread', () => {
  let db: TestStore;
  let sink: SmtpSink;
  let dispatcher: ThreadedDispatcher;
  const logs: Array<{ level: string; msg: string | undefined }> = [];
  const logger = {
    info: (_o: object, msg?: string) => logs.push({ level: 'info', msg }),
    warn: (_o: object, msg?: string) => logs.push({ level: 'warn', msg }),
    error: (_o: object, msg?: string) => logs.push({ level: 'error', msg }),
  };

  beforeAll(async () => {
    db = await createTestStore();
    sink = await startSmtpSink();
    const config = configFrom({ smtpUrl: sink.url, mailFrom: 'Nyckel <no-reply@nyckel.test>', mail: { pollMs: 200 } });
    dispatcher = await startDispatcherThread(config, db.databaseUrl!, logger);
    dispatcher.start();
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await sink?.close();
    await db?.cleanup();
  });

  const queue = (to: string) =>
    enqueueMail(db.store.db, { tenantId: null, template: 'test', recipient: to, locale: 'en', params: { tenantName: 'Contoso' }, holdsSecret: false });

  it('starts another thread when its thread dies, and delivers what was queued meanwhile', async () => {
    await queue('before@example.com');
    dispatcher.wake();
    await sink.waitFor((m) => m.to.includes('before@example.com'), 10_000);

    const first = dispatcher.thread();
    expect(first).toBeDefined();
    await first!.terminate();
    // While no thread runs, a drain is refused and mail waits in the outbox.
    await expect(dispatcher.drainOnce()).rejects.toThrow(/not running/);
    await queue('meanwhile@example.com');
    dispatcher.wake();
    expect(logs).toContainEqual({ level: 'error', msg: 'mail dispatcher thread exited; starting another' });

    // Restarted after a pause (1 s after a first death); the new thread polls and finds the queued row.
    await sink.waitFor((m) => m.to.includes('meanwhile@example.com'), 15_000);
    const second = dispatcher.thread();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    // The sink has the message before the thread records it as sent, so the row is read until it is recorded.
    const row = () => db.store.db.selectFrom('outbox').select(['status', 'attempts']).where('recipient', '=', 'meanwhile@example.com').executeTakeFirstOrThrow();
    await expect.poll(row, { timeout: 5_000, interval: 50 }).toEqual({ status: 'sent', attempts: 1 });
    expect(sink.messages.filter((m) => m.to.includes('meanwhile@example.com'))).toHaveLength(1);
  });

  it('takes the rows steps hand over through the shared ring, and hears of them once per pass at most', async () => {
    const thread = dispatcher.thread()!;
    const posted: Array<{ type: string }> = [];
    const original = thread.postMessage.bind(thread);
    thread.postMessage = (m: { type: string }) => {
      posted.push(m);
      original(m);
    };
    const recipients = Array.from({ length: 40 }, (_, i) => `handed${i}@example.com`);
    try {
      const lease = dispatcher.handoverLease();
      expect(lease).toBe(120_000);
      const mail = (to: string) => queueLeased(db.store.db, { tenantId: null, template: 'test', recipient: to, locale: 'en', params: { tenantName: 'Contoso' }, holdsSecret: false }, lease);
      const handed = await Promise.all(recipients.map(mail));
      // Two in one turn (one record), then one per turn for 38 turns.
      dispatcher.hand([handed[0]!]);
      dispatcher.hand([handed[1]!]);
      for (const h of handed.slice(2)) {
        await new Promise((r) => setImmediate(r));
        dispatcher.hand([h]);
      }
      for (const to of recipients) await sink.waitFor((m) => m.to.includes(to), 10_000);
    } finally {
      thread.postMessage = original;
    }
    // No rows travel as messages, and the thread was told of them far fewer times than they were handed over.
    expect(posted.every((m) => m.type === 'handed')).toBe(true);
    expect(posted.length).toBeGreaterThanOrEqual(1);
    expect(posted.length).toBeLessThan(20);
    const rows = () => db.store.db.selectFrom('outbox').select(['status', 'attempts']).where('recipient', 'in', recipients).execute();
    await expect.poll(rows, { timeout: 5_000, interval: 50 }).toEqual(recipients.map(() => ({ status: 'sent', attempts: 1 })));
    expect(sink.messages.filter((m) => recipients.some((r) => m.to.includes(r)))).toHaveLength(recipients.length);
  });

  it('posts a wake only when the thread has started a pass since the last one it was sent', async () => {
    const thread = dispatcher.thread()!;
    const posted: unknown[] = [];
    const original = thread.postMessage.bind(thread);
    thread.postMessage = (m: unknown) => {
      posted.push(m);
      original(m);
    };
    let stream: number;
    try {
      // A stream of wakes over 100 turns of the event loop (about 60 ms): one per turn was 100 messages; now
      // the thread hears of it again only after each of its passes has started (every gapMs at most).
      for (let turn = 0; turn < 100; turn++) {
        for (let i = 0; i < 5; i++) dispatcher.wake();
        await new Promise((r) => setTimeout(r, turn % 10 === 0 ? 5 : 0));
      }
      stream = posted.length;
      // The last wake posted started a pass, which lowered the latch: mail queued now is woken for at once.
      await new Promise((r) => setTimeout(r, 100));
      await queue('coalesced@example.com');
      dispatcher.wake();
    } finally {
      thread.postMessage = original;
    }
    expect(stream).toBeGreaterThanOrEqual(1);
    expect(stream).toBeLessThanOrEqual(10);
    expect(posted).toHaveLength(stream + 1);
    expect(posted.every((m) => (m as { type: string }).type === 'wake')).toBe(true);
    await sink.waitFor((m) => m.to.includes('coalesced@example.com'), 10_000);
  });
});
