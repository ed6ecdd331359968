// Builds the MIME message of a mail (multipart/alternative: plain text and HTML, quoted-printable, UTF-8)
// into one buffer. Header words are encoded by nodemailer's RFC 2047 encoder, bodies by our one-pass
// quoted-printable encoder (quoted-printable.ts); the tree of MIME nodes and header objects nodemailer's
// composer builds around them is not needed for this one shape, and cost more than the rest of a delivery.
// Every value placed in a header is a single line: the subject's line breaks become spaces and the recipient is checked by the caller (transport.ts assertSafeRecipient).
import { randomUUID } from 'node:crypto';
import mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';
import { encodeQuotedPrintable } from './quoted-printable.ts';
import type { CodeSlots } from './templates.ts';

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
  /** Where the code sits in text and html (a code mail): their encoding is then made once and kept. */
  code?: CodeSlots;
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

/**
 * The encoded body of `parts` joined by a code of digits, from an encoding made once per parts (a code mail's
 * parts are kept per tenant, language and settings: templates.ts). Digits are printable ASCII, so they are
 * encoded as themselves, one character each, and where the soft line breaks fall does not depend on which
 * digits they are: the encodings of the parts joined by 0s and joined by 1s differ exactly at the digits'
 * places. A code mail's bodies were about a quarter of the mail thread's CPU. Undefined for a code that is not
 * digits (the caller encodes the body it has in full).
 */
interface Slotted {
  encoded: Buffer;
  /** Where each digit of each occurrence of the code goes, in order. */
  slots: number[];
  codeLength: number;
}
const slotted = new WeakMap<readonly string[], Slotted | null>();

export function codeBody(parts: readonly string[], code: string): Buffer | undefined {
  if (!/^\d{1,16}$/.test(code)) return undefined;
  let kept = slotted.get(parts);
  if (kept === undefined || (kept !== null && kept.codeLength !== code.length)) {
    const zeros = body(parts.join('0'.repeat(code.length)));
    const ones = body(parts.join('1'.repeat(code.length)));
    const slots: number[] = [];
    if (zeros.length === ones.length) for (let i = 0; i < zeros.length; i++) if (zeros[i] !== ones[i]) slots.push(i);
    kept = slots.length === code.length * (parts.length - 1) ? { encoded: zeros, slots, codeLength: code.length } : null;
    slotted.set(parts, kept);
  }
  if (kept === null) return undefined;
  const out = Buffer.from(kept.encoded);
  for (let i = 0; i < kept.slots.length; i++) out[kept.slots[i]!] = code.charCodeAt(i % code.length);
  return out;
}

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
  // A code mail's parts joined by its code are its text and html (templates.ts); digits need no HTML escape.
  const text = (m.code && codeBody(m.code.text, m.code.value)) ?? body(m.text);
  const html = (m.code && codeBody(m.code.html, m.code.value)) ?? body(m.html);
  return Buffer.concat([Buffer.from(head.join(CRLF), 'utf8'), text, Buffer.from(middle.join(CRLF)), html, Buffer.from(`${CRLF}--${boundary}--${CRLF}`)]);
}
