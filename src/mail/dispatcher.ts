// Delivers outbox rows. Any number of processes may run a dispatcher against one PostgreSQL:
//  1. claim: one short statement picks up to batchSize due rows with FOR UPDATE SKIP LOCKED and pushes their
//     next_attempt_at forward by a lease, so no other dispatcher picks them while we send, and no transaction
//     (nor, on PGlite, the single connection) is held during the slow SMTP conversation;
//  2. render each row (templates.ts, from its template, locale and params; rows queued before migration 007
//     carry their rendered bodies instead) and send the batch outside any transaction, at most `concurrency`
//     sends in flight (the SMTP transport keeps as many sessions open, see smtp-transport.ts). A send starts
//     only in the first half of the lease, so it ends inside the lease; rows not started by then are released
//     (due again, attempt not counted);
//  3. record the outcome: ONE statement marks every row of the batch that was sent (a secret removed: the code
//     from the params, or an old row's bodies scrubbed); a failure is recorded per row as a retry with
//     exponential backoff, or dead after maxAttempts. A process that dies mid-batch leaves its rows to be
//     retried when their lease ends, so delivery is at-least-once (as SMTP itself is); transports keep a send
//     well inside half the lease.
//
// Mail queued by this process's own flow steps skips the claim: the step inserts its row already leased
// (next_attempt_at = the end of a lease, so no other dispatcher takes it) and hands it over here once the step
// committed (`hand`). A pass then sends handed rows after one durable commit of its own (the claim's, or a bare
// `txid_current()`): the steps commit asynchronously (store/guarded-write.ts, Durability), and a durable commit
// flushes all WAL before it, so a step is on disk before its mail leaves. A handed row this process never
// sends (it stopped or died, or the commit before the send failed) is an ordinary leased row: due again when
// its lease ends, and taken by whichever dispatcher claims next. A stopping dispatcher releases the rows it
// still holds at once. Measured (npm run bench, reset requests at 16 connections, 2 CPUs, pg_waldump): the
// claim's new row version, its lock and its two index entries were about 440 of the 3,450 bytes of WAL a
// reset request wrote.
// Logs carry the outbox id, template and status, never a recipient's code or a body.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.ts';
import type { MailTransport } from './transport.ts';
import { anyOf } from '../store/prepared-client.ts';
import { isLocale } from '../i18n/locales.ts';
import { renderMail, type MailParams, type MailTemplate, type RenderedMail } from './templates.ts';

export interface DispatcherLogger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export interface DispatcherOptions {
  db: Kysely<Database>;
  transport: MailTransport;
  logger: DispatcherLogger;
  maxAttempts: number;
  pollMs: number;
  /** Rows claimed per pass (default 50). */
  batchSize?: number;
  /** Sends in flight at once (default 4), or a function read at each pass (the SMTP transport's capacity). */
  concurrency?: number | (() => number);
  /** How long a claimed row stays invisible to other dispatchers. Must exceed a send's worst case. */
  leaseMs?: number;
  /** Least time between the end of a pass that was not full and the next pass (default 25 ms). */
  gapMs?: number;
  /** Delay before retry number `attempts + 1`; defaults to retryDelayMs. */
  backoffMs?: (attempts: number) => number;
  /** Called as each pass starts, before any claim (the thread lowers its wake latch here: wake-latch.ts). */
  beforeClaim?: () => void;
  /** Rows handed over another way than `hand` (the thread's handover ring), taken as each pass starts. */
  takeHanded?: () => readonly HandedMail[];
}

export interface Dispatcher {
  start(): void;
  /** Stops polling and resolves once the batches in flight are recorded. */
  stop(): Promise<void>;
  /** Runs a pass now (call after committing an enqueue). */
  wake(): void;
  /** Claims and handles one batch; resolves to the number of rows handled. */
  drainOnce(): Promise<number>;
  /**
   * The lease (ms) to queue rows with when they will be handed over here (`hand`), or undefined when this
   * dispatcher takes no handovers now (not started, or stopping): then queue them due at once and `wake`.
   */
  handoverLease(): number | undefined;
  /** Rows whose inserts (leased, see handoverLease) have committed: delivered without a claim. */
  hand(mail: readonly HandedMail[]): void;
}

/** An outbox row as inserted by a step, handed to the dispatcher of the same process (see the header). */
export interface HandedMail {
  id: string;
  template: string;
  locale: string;
  params: Record<string, unknown>;
  recipient: string;
  subject: string;
  /** When the row's lease ends (epoch ms): it must be sent well before, or left to a claim. */
  leasedUntil: number;
}

/** How long a claimed or handed row stays invisible to other dispatchers, unless configured otherwise. */
export const DEFAULT_LEASE_MS = 120_000;

export const SCRUBBED = '[scrubbed]';
const MAX_DELAY_MS = 15 * 60_000;

/** 2^attempts seconds, ±25 % jitter so rows failed together do not retry in lockstep, capped at 15 min. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  return Math.round(Math.min(2 ** attempts * 1000 * (0.75 + random() * 0.5), MAX_DELAY_MS));
}

// Error text for last_error and logs: short, single-line, and with long digit runs removed in case a
// server echoes part of the message back.
export function describeError(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [e.code, e.responseCode, typeof e.message === 'string' ? e.message : String(err)];
  return parts
    .filter((p) => typeof p === 'string' || typeof p === 'number')
    .join(' ')
    .replace(/\d{6,}/g, '[redacted]')
    .replace(/[\p{Cc}]+/gu, ' ')
    .slice(0, 500);
}

const ms = (n: number) => sql<Date>`now() + ${n}::float8 * interval '1 millisecond'`;
// What holds a secret in a row that holds one: the code among the params, or an old row's rendered bodies.
const scrub = (column: 'body_text' | 'body_html') => sql<string | null>`case when holds_secret and ${sql.ref(column)} is not null then ${SCRUBBED} else ${sql.ref(column)} end`;
const scrubParams = sql<string | null>`case when holds_secret then params - 'code' else params end`;
const scrubbed = { body_text: scrub('body_text'), body_html: scrub('body_html'), params: scrubParams };

/** The mail a claimed row stands for: rendered from its params, or (rows from before migration 007) as stored. */
function mailOf(row: { template: string; locale: string; params: Record<string, unknown> | null; subject: string; body_text: string | null; body_html: string | null }): RenderedMail {
  if (row.params) return renderMail(row.template as MailTemplate, isLocale(row.locale) ? row.locale : 'en', row.params as unknown as MailParams);
  return { subject: row.subject, text: row.body_text ?? '', html: row.body_html ?? '' };
}

export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const { db, transport, logger, maxAttempts, pollMs } = opts;
  const batchSize = Math.max(1, opts.batchSize ?? 50);
  const concurrencyOf = opts.concurrency ?? 4;
  const concurrency = () => Math.max(1, typeof concurrencyOf === 'function' ? concurrencyOf() : concurrencyOf);
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const backoff = opts.backoffMs ?? retryDelayMs;
  const gapMs = opts.gapMs ?? 25;
  const inflight = new Set<Promise<number>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let started = false;
  let again = false;

  // A single UPDATE is its own transaction: the row locks live only for this statement.
  async function claim() {
    const due = db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .orderBy('next_attempt_at')
      .limit(batchSize)
      .forUpdate()
      .skipLocked();
    return db
      .updateTable('outbox')
      .set({ next_attempt_at: ms(leaseMs) })
      .where('id', 'in', due)
      .returning(['id', 'template', 'locale', 'params', 'recipient', 'subject', 'body_text', 'body_html', 'attempts'])
      .execute();
  }

  type Claimed = Awaited<ReturnType<typeof claim>>[number];
  /** A row to send this pass, and the latest time its send may start (inside the first half of its lease). */
  type Due = { row: Claimed; startBy: number };

  // Rows handed over by this process's steps, not yet taken by a pass.
  let handed: HandedMail[] = [];
  // A pass claims when asked to (a wake, a timer poll, drainOnce), when it has nothing handed to send, and at
  // least every pollMs under a steady stream of handovers, so retries and other processes' rows are not starved.
  let claimWanted = true;
  let lastClaimAt = 0;

  /** A durable commit: every step committed before it is on disk once it returns (see the header). */
  async function barrier(): Promise<void> {
    await sql`select txid_current()`.execute(db);
  }

  const fromHandover = (m: HandedMail): Due => ({
    row: { id: m.id, template: m.template, locale: m.locale, params: m.params, recipient: m.recipient, subject: m.subject, body_text: null, body_html: null, attempts: 0 },
    startBy: m.leasedUntil - leaseMs / 2,
  });

  /** Sends one row; a failure is recorded here (rare, so one statement per row). Resolves true when sent. */
  async function send(row: Claimed): Promise<boolean> {
    try {
      const { subject, text, html, code } = mailOf(row);
      await transport.send({ to: row.recipient, subject, text, html, ...(code ? { code } : {}) });
      return true;
    } catch (err) {
      const log = { outboxId: row.id, template: row.template };
      const attempts = row.attempts + 1;
      const error = describeError(err);
      const dead = attempts >= maxAttempts;
      const delay = dead ? 0 : backoff(attempts);
      try {
        await db
          .updateTable('outbox')
          .set({
            attempts,
            last_error: error,
            next_attempt_at: ms(delay),
            // A dead code mail is useless to anyone but an attacker reading the table: scrub it too.
            ...(dead ? { status: 'dead' as const, ...scrubbed } : {}),
          })
          .where('id', '=', row.id)
          .where('status', '=', 'pending')
          .execute();
      } catch (recordErr) {
        // Recording failed (database down): the lease expires and the row is tried again.
        logger.error({ ...log, error: describeError(recordErr) }, 'mail dispatcher could not record a delivery');
        return false;
      }
      if (dead) logger.error({ ...log, status: 'dead', attempts, error }, 'mail dead-lettered');
      else logger.warn({ ...log, status: 'pending', attempts, retryInMs: delay, error }, 'mail delivery failed, will retry');
      return false;
    }
  }

  /** One statement for every row of the batch that was sent. */
  async function recordSent(rows: Claimed[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await db
        .updateTable('outbox')
        .set({
          status: 'sent',
          sent_at: sql<Date>`now()`,
          attempts: sql<number>`attempts + 1`,
          last_error: null,
          ...scrubbed,
        })
        .where('id', '=', anyOf(rows.map((r) => r.id), 'uuid'))
        .where('status', '=', 'pending')
        .execute();
    } catch (err) {
      // Recording failed (database down): the leases expire and the rows are sent again (at-least-once).
      logger.error({ outboxIds: rows.map((r) => r.id), error: describeError(err) }, 'mail dispatcher could not record a delivery');
      return;
    }
    for (const row of rows) logger.info({ outboxId: row.id, template: row.template, status: 'sent', attempts: row.attempts + 1 }, 'mail sent');
  }

  /** Rows claimed but not sent in time: due again at once, without counting an attempt. */
  async function release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await db.updateTable('outbox').set({ next_attempt_at: sql<Date>`now()` }).where('id', '=', anyOf(ids, 'uuid')).where('status', '=', 'pending').execute();
    } catch (err) {
      logger.error({ outboxIds: ids, error: describeError(err) }, 'mail dispatcher could not release unsent rows');
    }
  }

  async function pass(forceClaim = false): Promise<number> {
    opts.beforeClaim?.();
    if (opts.takeHanded) for (const m of opts.takeHanded()) handed.push(m);
    const mine = handed.slice(0, batchSize).map(fromHandover);
    handed = handed.slice(mine.length);
    const claimNow = forceClaim || claimWanted || mine.length === 0 || Date.now() - lastClaimAt >= pollMs;
    let claimed: Claimed[] = [];
    if (claimNow) {
      claimWanted = false;
      lastClaimAt = Date.now();
      claimed = await claim();
    }
    // The claim's commit is durable only when it took rows; otherwise handed rows wait for a commit of their own.
    if (mine.length > 0 && claimed.length === 0) await barrier();
    // A send that starts later than this might outlive the lease and be delivered twice.
    const claimedStartBy = Date.now() + leaseMs / 2;
    const rows: Due[] = [...mine, ...claimed.map((row) => ({ row, startBy: claimedStartBy }))];
    if (rows.length === 0) return 0;
    const sent: Claimed[] = [];
    const late: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const { row, startBy } = rows[next++]!;
        if (Date.now() > startBy) late.push(row.id);
        else if (await send(row)) sent.push(row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency(), rows.length) }, worker));
    await recordSent(sent);
    await release(late);
    return rows.length;
  }

  function drainOnce(forceClaim = false): Promise<number> {
    const p = pass(forceClaim);
    inflight.add(p);
    const forget = () => inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  // The next pass is due at `dueAt`; a wake never postpones it, only brings it forward.
  let dueAt = Infinity;
  let lastPassEnd = 0;
  function schedule(delay: number) {
    clearTimeout(timer);
    dueAt = Date.now() + delay;
    timer = setTimeout(loop, delay);
    timer.unref();
  }

  async function loop() {
    dueAt = Infinity;
    if (!started) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      // Full batches follow each other at once; a batch that was not full ends the run.
      while (started) {
        again = false;
        if ((await drainOnce()) < batchSize) break;
      }
    } catch (err) {
      logger.error({ error: describeError(err) }, 'mail dispatcher pass failed');
    } finally {
      running = false;
      lastPassEnd = Date.now();
      if (started) schedule(again ? gapMs : pollMs);
    }
  }

  /**
   * After the outbox was written. When idle, a pass starts at once; under load, mail queued during a pass waits
   * up to gapMs after it, so one claim and one update carry many rows instead of one or two each.
   */
  function wake() {
    claimWanted = true;
    passSoon();
  }

  function passSoon() {
    if (!started) return;
    if (running) {
      again = true;
      return;
    }
    const delay = Math.max(0, lastPassEnd + gapMs - Date.now());
    if (Date.now() + delay < dueAt) schedule(delay);
  }

  return {
    drainOnce: () => drainOnce(true),
    start() {
      if (started) return;
      started = true;
      claimWanted = true;
      schedule(0);
    },
    wake,
    handoverLease: () => (started ? leaseMs : undefined),
    hand(mail) {
      handed.push(...mail);
      passSoon();
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      await Promise.allSettled([...inflight]);
      // Rows handed over but not sent: due again now, for the next dispatcher to claim.
      const left = [...handed, ...(opts.takeHanded?.() ?? [])].map((m) => m.id);
      handed = [];
      await release(left);
    },
  };
}
