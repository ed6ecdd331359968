// SMTP delivery: a pool of SMTP sessions (smtp-session.ts) carrying messages built by mime.ts, with a strict
// recipient check (one plain address). Our own client rather than nodemailer's pool, because a message then
// costs two round trips instead of four (PIPELINING) and much less CPU: measured on the 2-core bench machine,
// 0.42 → 0.12 ms per message in the sender and 0.20 → 0.12 ms in the receiving smtp-server. With a remote
// relay the round trips set the delivery rate per session.
//
//  - pooled: up to `poolSize` sessions stay open and carry `messagesPerSession` messages each, so a message
//    pays no TCP/TLS handshake, greeting, EHLO or AUTH of its own. The dispatcher keeps at most `poolSize`
//    sends in flight (see dispatcher.ts). A session idle for `idleMs` is closed (servers drop idle ones);
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
  /** Messages per session before it is replaced by a fresh one. Default 1000. */
  messagesPerSession?: number;
  /** An idle session is closed after this many ms. Default 30,000. */
  idleMs?: number;
  /** Extra TLS options (a private CA). Certificates are always verified. */
  tls?: ConnectionOptions;
  timeouts?: Partial<typeof TIMEOUTS>;
}

export function createSmtpTransport(smtpUrl: string, from: string, options: SmtpTransportOptions = {}): MailTransport & { close(): void } {
  if (/[\r\n]/.test(from)) throw new Error('mailFrom must be a single line');
  const session: SmtpSessionOptions = { ...connectionOptions(smtpUrl), timeouts: { ...TIMEOUTS, ...options.timeouts }, ...(options.tls ? { tls: options.tls } : {}) };
  const poolSize = Math.max(1, options.poolSize ?? 4);
  const perSession = Math.max(1, options.messagesPerSession ?? 1000);
  const idleMs = options.idleMs ?? 30_000;
  const envelopeFrom = addressOf(from);
  const messageIdDomain = envelopeFrom.split('@').pop() || 'localhost';

  const idle: Array<{ session: SmtpSession; timer: NodeJS.Timeout }> = [];
  const waiting: Array<() => void> = [];
  let open = 0;
  let closed = false;

  /** An idle session, a new one while fewer than poolSize are open, or the next one released. */
  async function acquire(): Promise<SmtpSession> {
    for (;;) {
      if (closed) throw new Error('SMTP transport is closed');
      const entry = idle.pop();
      if (entry) {
        clearTimeout(entry.timer);
        if (entry.session.usable) return entry.session;
        open--;
        continue;
      }
      if (open < poolSize) {
        open++;
        try {
          return await SmtpSession.open(session);
        } catch (err) {
          open--;
          waiting.shift()?.();
          throw err;
        }
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }

  function release(s: SmtpSession): void {
    if (closed || !s.usable || s.delivered >= perSession) {
      open--;
      void s.quit();
    } else {
      const timer = setTimeout(() => {
        const i = idle.findIndex((e) => e.session === s);
        if (i !== -1) idle.splice(i, 1);
        open--;
        void s.quit();
      }, idleMs);
      timer.unref();
      idle.push({ session: s, timer });
    }
    waiting.shift()?.();
  }

  async function deliver(to: string, raw: Buffer, retried = false): Promise<void> {
    const s = await acquire();
    const progress = { bodySent: false };
    try {
      await s.send(envelopeFrom, to, raw, progress);
    } catch (err) {
      const refused = err instanceof SmtpError && err.responseCode !== undefined;
      const stale = !refused && !s.usable && !progress.bodySent && s.delivered > 0;
      release(s);
      // A reused session the server had dropped: nothing of this message was accepted, so try a new session.
      if (stale && !retried) return deliver(to, raw, true);
      throw err;
    }
    release(s);
  }

  return {
    async send(msg: OutgoingMail) {
      assertSafeRecipient(msg.to);
      // Built into one buffer first (mime.ts), so the body leaves in one socket write.
      const raw = buildMime({ from, to: msg.to, subject: msg.subject, text: msg.text, html: msg.html, messageIdDomain });
      await deliver(msg.to, raw);
    },
    /** Closes the idle sessions at once, and each busy one when its message is done; later sends fail. */
    close() {
      closed = true;
      for (const { session: s, timer } of idle.splice(0)) {
        clearTimeout(timer);
        open--;
        void s.quit();
      }
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
