// SMTP delivery: a pool of SMTP sessions (smtp-session.ts) carrying messages built by mime.ts, with a strict
// recipient check (one plain address). Our own client rather than nodemailer's pool, because a message then
// costs two round trips instead of four (PIPELINING), under load one (two sends per session, below), and much
// less CPU: measured on the 2-core bench machine, 0.42 → 0.12 ms per message in the sender and 0.20 → 0.12 ms
// in the receiving smtp-server before the sharing. With a remote relay the round trips set the delivery rate
// per session.
//
//  - pooled: up to `poolSize` sessions stay open and carry `messagesPerSession` messages each, so a message
//    pays no TCP/TLS handshake, greeting, EHLO or AUTH of its own. A session idle for `idleMs` is closed
//    (servers drop idle ones);
//  - pipelined: a session carries up to `sendsPerSession` (2) sends at once when the server offers PIPELINING:
//    the second's commands follow the first's body in the same write (smtp-session.ts). Sends fill an open
//    session before another is opened, so under load each message costs one write and one read. With two,
//    a send waits for at most one other before it starts, which keeps it well inside the dispatcher's lease.
//    `capacity` (poolSize × sendsPerSession) is how many sends the dispatcher keeps in flight;
//  - chunked: when the server offers CHUNKING as well, sends do not wait for each other at all (BDAT, see
//    smtp-session.ts) and a session carries up to `chunkedSendsPerSession` (16) at once: the messages of one
//    dispatcher pass leave in a few writes, one per session, and their replies come back in a few reads.
//    Measured on the 2-core bench machine (reset runs): the sink's CPU per message 0.040 -> 0.018 ms, the
//    server's threads other than the request thread about a quarter less;
//  - a message whose session turns out to be gone before any of it was accepted is tried once on a new one;
//    after the body was sent the outcome is unknown and the send fails (the dispatcher retries: at least once).
import type { ConnectionOptions } from 'node:tls';
import { buildMime } from './mime.ts';
import { SmtpError, SmtpSession, type SmtpSessionOptions } from './smtp-session.ts';
import { assertSafeRecipient, type MailTransport, type OutgoingMail } from './transport.ts';

// Bounded timeouts: the dispatcher leases a row for a limited time (see dispatcher.ts), and a send that
// outlives its lease could be delivered twice.
const TIMEOUTS = { connect: 10_000, greeting: 10_000, reply: 30_000 };

export interface SmtpTransportOptions {
  /** SMTP sessions kept open at once. Default 4. */
  poolSize?: number;
  /** Sends in flight on one session (pipelined, when the server offers PIPELINING). Default 2. */
  sendsPerSession?: number;
  /** Sends in flight on one session when the server offers CHUNKING and PIPELINING. Default 16. */
  chunkedSendsPerSession?: number;
  /** Messages per session before it is replaced by a fresh one. Default 1000. */
  messagesPerSession?: number;
  /** An idle session is closed after this many ms. Default 30,000. */
  idleMs?: number;
  /** Extra TLS options (a private CA). Certificates are always verified. */
  tls?: ConnectionOptions;
  timeouts?: Partial<typeof TIMEOUTS>;
}

export function createSmtpTransport(smtpUrl: string, from: string, options: SmtpTransportOptions = {}): MailTransport & { close(): void; readonly capacity: number } {
  if (/[\r\n]/.test(from)) throw new Error('mailFrom must be a single line');
  const session: SmtpSessionOptions = { ...connectionOptions(smtpUrl), timeouts: { ...TIMEOUTS, ...options.timeouts }, ...(options.tls ? { tls: options.tls } : {}) };
  const poolSize = Math.max(1, options.poolSize ?? 4);
  const depth = Math.max(1, options.sendsPerSession ?? 2);
  const chunkedDepth = Math.max(depth, options.chunkedSendsPerSession ?? 16);
  /** Whether the last session opened offered CHUNKING: the sends worth keeping in flight (`capacity`). */
  let chunking = false;
  const perSession = Math.max(1, options.messagesPerSession ?? 1000);
  const idleMs = options.idleMs ?? 30_000;
  const envelopeFrom = addressOf(from);
  const messageIdDomain = envelopeFrom.split('@').pop() || 'localhost';

  /** Open sessions, with the sends they carry now and the sends they were given in all. */
  interface Entry {
    session: SmtpSession;
    busy: number;
    given: number;
    idleTimer?: NodeJS.Timeout;
  }
  const sessions: Entry[] = [];
  const waiting: Array<() => void> = [];
  let opening = 0;
  let closed = false;

  const retire = (e: Entry) => {
    const i = sessions.indexOf(e);
    if (i !== -1) sessions.splice(i, 1);
    clearTimeout(e.idleTimer);
    void e.session.quit();
  };

  /** The busiest open session with room for one more send, a new one while fewer than poolSize are open, or the next slot freed. */
  async function acquire(): Promise<Entry> {
    for (;;) {
      if (closed) throw new Error('SMTP transport is closed');
      let pick: Entry | undefined;
      for (const e of [...sessions]) {
        if (!e.session.usable) {
          if (e.busy === 0) retire(e);
          continue;
        }
        const room = e.session.chunking ? chunkedDepth : e.session.pipelining ? depth : 1;
        if (e.busy < room && e.given < perSession && (!pick || e.busy > pick.busy)) pick = e;
      }
      if (pick) {
        clearTimeout(pick.idleTimer);
        pick.busy++;
        pick.given++;
        return pick;
      }
      if (sessions.length + opening < poolSize) {
        opening++;
        try {
          const e: Entry = { session: await SmtpSession.open(session), busy: 1, given: 1 };
          sessions.push(e);
          chunking = e.session.chunking;
          // Its other slots are free for waiting sends.
          if (e.session.pipelining) for (const wake of waiting.splice(0, (chunking ? chunkedDepth : depth) - 1)) wake();
          return e;
        } catch (err) {
          waiting.shift()?.();
          throw err;
        } finally {
          opening--;
        }
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }

  function release(e: Entry): void {
    e.busy--;
    if (e.busy === 0) {
      if (closed || !e.session.usable || e.given >= perSession) retire(e);
      else {
        e.idleTimer = setTimeout(() => retire(e), idleMs);
        e.idleTimer.unref();
      }
    }
    waiting.shift()?.();
  }

  async function deliver(to: string, raw: Buffer, retried = false): Promise<void> {
    const e = await acquire();
    const s = e.session;
    const progress = { bodySent: false };
    try {
      await s.send(envelopeFrom, to, raw, progress);
    } catch (err) {
      const refused = err instanceof SmtpError && err.responseCode !== undefined;
      const stale = !refused && !s.usable && !progress.bodySent && (s.delivered > 0 || e.given > 1);
      release(e);
      // A reused session the server had dropped: nothing of this message was accepted, so try a new session.
      if (stale && !retried) return deliver(to, raw, true);
      throw err;
    }
    release(e);
  }

  return {
    async send(msg: OutgoingMail) {
      assertSafeRecipient(msg.to);
      // Built into one buffer first (mime.ts), so the body leaves in one socket write.
      const raw = buildMime({ from, to: msg.to, subject: msg.subject, text: msg.text, html: msg.html, messageIdDomain, ...(msg.code ? { code: msg.code } : {}) });
      await deliver(msg.to, raw);
    },
    /** Sends worth keeping in flight: read per dispatcher pass, it grows once a session offered CHUNKING. */
    get capacity() {
      return poolSize * (chunking ? chunkedDepth : depth);
    },
    /** Closes the idle sessions at once, and each busy one when its messages are done; later sends fail. */
    close() {
      closed = true;
      for (const e of [...sessions]) if (e.busy === 0) retire(e);
      for (const wake of waiting.splice(0)) wake();
    },
  };
}

/** The bare address of `Name <addr>` (or the input itself), for the SMTP envelope. */
function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

/** smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (TLS from the start) as session options. */
function connectionOptions(smtpUrl: string) {
  const url = new URL(smtpUrl);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('smtpUrl must start with smtp:// or smtps://');
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
  };
}
