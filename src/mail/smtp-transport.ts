// SMTP delivery through nodemailer's pooled SMTP client. The message itself is built by mime.ts (with
// nodemailer's encoders) and handed over raw; we add a strict recipient check (one plain address) and turn
// off nodemailer's file/URL loading, so no message field can make it read local files or fetch URLs.
//
// Cheap per message, in CPU and in socket writes (each one wakes the SMTP server):
//  - pooled: up to `poolSize` SMTP sessions stay open and carry many messages each, so a message costs MAIL,
//    RCPT, DATA and the body on a warm session instead of a TCP (and TLS) handshake, greeting, EHLO and AUTH of
//    its own. The dispatcher keeps at most `poolSize` sends in flight (see dispatcher.ts);
//  - TCP_NODELAY, and the body built into one buffer before it is sent: 4 writes per message instead of 13.
import { connect as netConnect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import { buildMime } from './mime.ts';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { assertSafeRecipient, type MailTransport, type OutgoingMail } from './transport.ts';

// Bounded timeouts: the dispatcher leases a row for a limited time (see dispatcher.ts), and a send that
// outlives its lease could be delivered twice. nodemailer's default socket timeout is an hour. An idle pooled
// session is closed by the same socket timeout (and reopened on demand).
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };

export interface SmtpTransportOptions {
  /** SMTP sessions kept open at once (nodemailer maxConnections). Default 4. */
  poolSize?: number;
  /** Messages per session before it is replaced by a fresh one. Default 1000. */
  messagesPerSession?: number;
}

export function createSmtpTransport(smtpUrl: string, from: string, options: SmtpTransportOptions = {}): MailTransport & { close(): void } {
  if (/[\r\n]/.test(from)) throw new Error('mailFrom must be a single line');
  const connection = connectionOptions(smtpUrl);
  const pool: SMTPPool.Options & { maxRequeues: number } = {
    ...connection,
    ...TIMEOUTS,
    getSocket: (_options, callback) => connectNoDelay(connection.host, connection.port, callback),
    pool: true,
    maxConnections: options.poolSize ?? 4,
    maxMessages: options.messagesPerSession ?? 1000,
    // A message whose session the server dropped is retried once on another session; nodemailer's default
    // (untyped option) is to requeue without limit, which could outlive the dispatcher's lease.
    maxRequeues: 1,
  };
  const transporter = nodemailer.createTransport(pool);
  const envelopeFrom = addressOf(from);
  const messageIdDomain = envelopeFrom.split('@').pop() || 'localhost';
  return {
    async send(msg: OutgoingMail) {
      assertSafeRecipient(msg.to);
      // Built into one buffer first (mime.ts), so the body leaves in one socket write.
      const raw = buildMime({ from, to: msg.to, subject: msg.subject, text: msg.text, html: msg.html, messageIdDomain });
      await transporter.sendMail({ envelope: { from: envelopeFrom, to: [msg.to] }, raw, disableFileAccess: true, disableUrlAccess: true });
    },
    /** Closes the idle sessions at once, and each busy one when its message is done; later sends fail. */
    close() {
      transporter.close();
    },
  };
}

/**
 * Opens the TCP connection for a pooled session with TCP_NODELAY; nodemailer then speaks SMTP on it (and
 * wraps it in TLS first for smtps://). nodemailer writes a message body in several chunks and the server
 * answers only after the last, so with Nagle's algorithm every chunk after the first waited for the server's
 * delayed ACK (~40 ms) on a warm session: a pooled session then carried only ~20 messages/s.
 */
function connectNoDelay(host: string, port: number, callback: (err: Error | null, socketOptions?: { connection: Socket }) => void): void {
  const socket = netConnect({ host, port, noDelay: true });
  let settled = false;
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    callback(err);
  };
  // DNS lookup and TCP handshake together, within the connection timeout nodemailer would apply.
  const timer = setTimeout(() => fail(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' })), TIMEOUTS.connectionTimeout);
  socket.once('error', fail);
  socket.once('connect', () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('error', fail);
    socket.setKeepAlive(true);
    // The body and its terminating "." are two writes in the same tick: corking until the next tick sends them
    // as one segment (one writev) instead of two. Only the plain socket; a TLS layer writes below this.
    const write = socket.write;
    socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      if (!this.writableCorked) {
        this.cork();
        process.nextTick(() => this.uncork());
      }
      return write.apply(this, args);
    } as Socket['write'];
    callback(null, { connection: socket });
  });
}

/** The bare address of `Name <addr>` (or the input itself), for the SMTP envelope. */
function addressOf(from: string): string {
  return /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
}

/**
 * smtp://user:pass@host:port or smtps://… as explicit options. Passing `url` to nodemailer would make it
 * ignore every other option — the timeouts above included.
 */
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
