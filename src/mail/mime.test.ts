import { describe, expect, it } from 'vitest';
import { buildMime } from './mime.ts';

const decodeQp = (s: string) => Buffer.from(s.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
// RFC 2047: whitespace between two encoded words is dropped; elsewhere it stays.
const decodeWords = (s: string) =>
  s.replace(/(\?=)\s+(?==\?)/g, '$1').replace(/=\?UTF-8\?B\?([^?]+)\?=/gi, (_, b: string) => Buffer.from(b, 'base64').toString('utf8'));

function parse(raw: Buffer) {
  const text = raw.toString('utf8');
  const [head = '', rest = ''] = text.split('\r\n\r\n', 2) as [string, string];
  const headers = head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  const boundary = /boundary="([^"]+)"/.exec(head)?.[1] ?? '';
  const parts = text
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const [h = '', b = ''] = p.replace(/^\r\n/, '').split('\r\n\r\n', 2) as [string, string];
      return { type: /Content-Type: ([^;]+)/.exec(h)?.[1], body: decodeQp(b.replace(/\r\n$/, '')) };
    });
  return { headers, parts, lines: text.split('\r\n'), rest };
}

describe('buildMime', () => {
  const mail = {
    from: 'Contoso Tjänst <no-reply@contoso.test>',
    to: 'kund@example.com',
    subject: 'Verifieringskod för ditt konto hos Contoso – läs snart',
    text: 'Hej!\nDin kod är 123456.\n' + 'x'.repeat(200),
    html: '<p>Din kod är <b>123456</b></p>\n<p>' + 'å'.repeat(120) + '</p>',
    messageIdDomain: 'contoso.test',
  };

  it('carries text and HTML (quoted-printable, UTF-8) that decode to the original, in lines of at most 78 characters', () => {
    const { parts, lines } = parse(buildMime(mail));
    expect(parts.map((p) => p.type)).toEqual(['text/plain', 'text/html']);
    expect(parts[0]?.body).toBe(mail.text.replace(/\n/g, '\r\n'));
    expect(parts[1]?.body).toBe(mail.html.replace(/\n/g, '\r\n'));
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(78);
  });

  it('encodes non-ASCII headers as RFC 2047 words and keeps the address plain', () => {
    const { headers } = parse(buildMime(mail));
    const subject = headers.find((h) => h.startsWith('Subject: '))!;
    expect(subject).toMatch(/=\?UTF-8\?B\?/i);
    expect(decodeWords(subject.slice('Subject: '.length))).toBe(mail.subject);
    const from = headers.find((h) => h.startsWith('From: '))!;
    expect(decodeWords(from.slice('From: '.length)).trim()).toBe('Contoso Tjänst <no-reply@contoso.test>');
    expect(headers).toContain('To: kund@example.com');
    expect(headers.find((h) => h.startsWith('Message-ID: '))).toMatch(/^Message-ID: <[0-9a-f-]{36}@contoso\.test>$/);
  });

  it('cannot be given an extra header through the subject', () => {
    const { headers } = parse(buildMime({ ...mail, subject: 'Hi\r\nBcc: evil@example.com' }));
    expect(headers.some((h) => /^Bcc:/i.test(h))).toBe(false);
    expect(headers).toContain('Subject: Hi Bcc: evil@example.com');
  });

  it('quotes a display name with specials', () => {
    const { headers } = parse(buildMime({ ...mail, from: 'Contoso, Inc. <a@b.test>' }));
    expect(headers).toContain('From: "Contoso, Inc." <a@b.test>');
  });
});
