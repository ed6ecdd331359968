// Builds the MIME message of a mail (multipart/alternative: plain text and HTML, quoted-printable, UTF-8)
// into one buffer. Header words are encoded by nodemailer's RFC 2047 encoder, bodies by our one-pass
// quoted-printable encoder (quoted-printable.ts); the tree of MIME nodes and header objects nodemailer's
// composer builds around them is not needed for this one shape, and cost more than the rest of a delivery.
// Every value placed in a header is a single line: the subject's line breaks become spaces and the recipient is checked by the caller (transport.ts assertSafeRecipient).
import { randomUUID } from 'node:crypto';
import mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';
import { encodeQuotedPrintable } from './quoted-printable.ts';

// Methods, not free functions: they call each other through `this`.
const encodeWords = (value: string) => mimeFuncs.encodeWords(value, 'B', 52);
const isPlainText = (value: string) => mimeFuncs.isPlainText(value);
/** A header line folded at spaces to lines of at most 76 characters where it can (continuations start with a space). */
function header(line: string): string {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > 76) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out.join(`${CRLF} `);
}

export interface MimeInput {
  /** `Name <address>` or a bare address. */
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageIdDomain: string;
  date?: Date;
}

const CRLF = '\r\n';

/** A header value: as is when plain ASCII, else RFC 2047 encoded words (folded by encodeWords). */
const headerText = (value: string) => {
  const single = value.replace(/[\r\n]+/g, ' ');
  return isPlainText(single) ? single : encodeWords(single);
};

/** `Name <addr>` with the name quoted or encoded as needed. */
function mailbox(from: string): string {
  const m = /^\s*(.*?)\s*<([^<>\s]+)>\s*$/.exec(from);
  if (!m) return from.trim();
  const [, name, address] = m as unknown as [string, string, string];
  if (!name) return `<${address}>`;
  const bare = name.replace(/^"(.*)"$/, '$1');
  const shown = isPlainText(bare) ? (/[()<>@,;:\\".[\]]/.test(bare) ? `"${bare.replace(/(["\\])/g, '\\$1')}"` : bare) : encodeWords(bare);
  return `${shown} <${address}>`;
}

const body = (content: string) => encodeQuotedPrintable(content.replace(/\r?\n/g, CRLF));

export function buildMime(m: MimeInput): Buffer {
  const boundary = `----=_Part_${randomUUID()}`;
  const head = [
    header(`From: ${mailbox(m.from)}`),
    `To: ${m.to}`,
    header(`Subject: ${headerText(m.subject)}`),
    `Date: ${(m.date ?? new Date()).toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${randomUUID()}@${m.messageIdDomain}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '',
  ];
  const middle = [
    '',
    `--${boundary}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '',
  ];
  return Buffer.concat([Buffer.from(head.join(CRLF), 'utf8'), body(m.text), Buffer.from(middle.join(CRLF)), body(m.html), Buffer.from(`${CRLF}--${boundary}--${CRLF}`)]);
}
