// SMTP delivery through nodemailer. nodemailer builds and encodes every header itself; we add a strict
// recipient check (one plain address) and turn off its file/URL loading, so no message field can make it
// read local files or fetch URLs.
import nodemailer from 'nodemailer';
import { assertSafeRecipient, type MailTransport, type OutgoingMail } from './transport.ts';

// Bounded timeouts: the dispatcher leases a row for a limited time (see dispatcher.ts), and a send that
// outlives its lease could be delivered twice. nodemailer's default socket timeout is an hour.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };

export function createSmtpTransport(smtpUrl: string, from: string): MailTransport & { close(): void } {
  if (/[\r\n]/.test(from)) throw new Error('mailFrom must be a single line');
  const transporter = nodemailer.createTransport({ ...connectionOptions(smtpUrl), ...TIMEOUTS });
  return {
    async send(msg: OutgoingMail) {
      assertSafeRecipient(msg.to);
      await transporter.sendMail({
        from,
        to: msg.to,
        envelope: { from: addressOf(from), to: [msg.to] },
        subject: msg.subject.replace(/[\r\n]+/g, ' '),
        text: msg.text,
        html: msg.html,
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
    close() {
      transporter.close();
    },
  };
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
