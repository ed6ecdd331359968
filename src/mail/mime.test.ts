import { describe, expect, it } from 'vitest';
import { LOCALES } from '../i18n/locales.ts';
import { buildMime, codeBody } from './mime.ts';
import { encodeQuotedPrintable } from './quoted-printable.ts';
import { renderMail } from './templates.ts';

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

describe('code mail bodies', () => {
  const encoded = (content: string) => encodeQuotedPrintable(content.replace(/\r?\n/g, '\r\n'));

  it('patches the kept encoding with each code, equal to encoding the whole body', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const locale of LOCALES) {
      for (const template of ['reset_code', 'signup_code'] as const) {
        // Tenant names of every length move the code across soft line breaks; some need escapes around it.
        for (let n = 0; n < 40; n++) {
          const tenantName = `${'Å'.repeat(n % 7)}Contoso ${'x'.repeat(n)}=`;
          const code = String(Math.floor(random() * 1_000_000)).padStart(6, '0');
          const mail = renderMail(template, locale, { tenantName, code, minutes: 10 });
          expect(mail.code?.value).toBe(code);
          expect(codeBody(mail.code!.text, code)).toEqual(encoded(mail.text));
          expect(codeBody(mail.code!.html, code)).toEqual(encoded(mail.html));
        }
      }
    }
  });

  it('puts the code wherever it sits, however often, and leaves other codes to a full encoding', () => {
    const parts = ['a'.repeat(70), ' ', `${' '.repeat(73)}\n`, '='];
    for (const code of ['000000', '999999', '123456', '7', '0123456789']) expect(codeBody(parts, code)).toEqual(encoded(parts.join(code)));
    expect(codeBody(parts, '12 34')).toBeUndefined();
    expect(codeBody(parts, '<b>')).toBeUndefined();
    // buildMime falls back to the bodies it was given.
    const raw = buildMime({ from: 'a@b.c', to: 'x@y.z', subject: 's', text: 'T <b>', html: 'H &lt;b&gt;', messageIdDomain: 'b.c', code: { value: '<b>', text: ['T '], html: ['H '] } });
    expect(raw.toString()).toContain('H &lt;b&gt;');
  });
});
