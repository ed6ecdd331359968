import { describe, expect, it } from 'vitest';
import qp from 'nodemailer/lib/qp/index.js';
import { encodeQuotedPrintable } from './quoted-printable.ts';

// An independent decoder (RFC 2045 6.7): soft breaks removed, =XX turned back into bytes, read as UTF-8.
const decode = (s: string) => Buffer.from(s.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');

function randomText(seed: number, length: number): string {
  const pieces = ['a', 'Z', '0', ' ', '\t', '=', '.', '\r\n', 'å', 'ä', 'ö', '€', '😀', '<p>', '=3D', '\u00a0', '~', '\u0001', '\x7f'];
  let x = seed;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += pieces[x % pieces.length];
  }
  return out;
}

describe('encodeQuotedPrintable', () => {
  it('round-trips any text, in lines of at most 76 characters of safe ASCII', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomText(seed, seed % 7 === 0 ? 2000 : seed);
      const encoded = encodeQuotedPrintable(text).toString('latin1');
      expect(decode(encoded)).toBe(text);
      for (const line of encoded.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).toMatch(/^[\x21-\x7e \t]*$/);
        // Whitespace at the end of a line could be stripped in transit: it is always encoded or followed by "=".
        expect(line).not.toMatch(/[ \t]$/);
      }
    }
  });

  it('decodes to what nodemailer’s encoder decodes to', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const text = randomText(seed * 7919, 500);
      expect(decode(encodeQuotedPrintable(text).toString('latin1'))).toBe(decode(qp.wrap(qp.encode(text), 76)));
    }
  });

  it('escapes "=" and non-ASCII, keeps CRLF line breaks, and never splits an escape', () => {
    expect(encodeQuotedPrintable('a=b\r\nKod: å ').toString()).toBe('a=3Db\r\nKod: =C3=A5=20');
    const long = encodeQuotedPrintable('x'.repeat(74) + 'åå').toString();
    expect(long).toBe(`${'x'.repeat(74)}=\r\n=C3=A5=C3=A5`);
  });
});
