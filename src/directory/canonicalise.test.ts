import { describe, expect, it } from 'vitest';
import { canonicaliseEmail, canonicaliseUsername } from './canonicalise.ts';

describe('canonicaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(canonicaliseEmail('  Alice.Smith@Example.COM ')).toMatchObject({ ok: true, value: 'alice.smith@example.com' });
  });
  it('maps an internationalised domain to its ASCII form', () => {
    expect(canonicaliseEmail('a@Bücher.de')).toMatchObject({ ok: true, value: 'a@xn--bcher-kva.de' });
  });
  it.each([
    ['fullwidth letters', 'ａlice@example.com', 'identifier.ambiguous'],
    ['Kelvin sign', '\u212Aate@example.com', 'identifier.ambiguous'],
    ['long s', 'ſam@example.com', 'identifier.ambiguous'],
    ['ligature', 'ﬁnn@example.com', 'identifier.ambiguous'],
    ['zero-width joiner', 'al\u200Dice@example.com', 'identifier.invalid_characters'],
    ['bidi override', 'al\u202Eice@example.com', 'identifier.invalid_characters'],
  ])('refuses %s instead of mapping it', (_label, input, code) => {
    expect(canonicaliseEmail(input)).toEqual({ ok: false, code });
  });
  it.each(['', 'no-at', 'a@b', 'a@@b.com', '@b.com', 'a@', 'a b@c.com', 'a\r\nBcc: x@y.com', 'a..b@c.com', 'x'.repeat(65) + '@c.com'])(
    'refuses malformed %j',
    (input) => {
      expect(canonicaliseEmail(input).ok).toBe(false);
    },
  );
  it('gives distinct canonical forms to look-alikes', () => {
    const latin = canonicaliseEmail('paypal@example.com');
    const cyrillic = canonicaliseEmail('pаypal@example.com'); // U+0430
    expect(latin.ok && cyrillic.ok && latin.value !== cyrillic.value).toBe(true);
  });
});

describe('canonicaliseUsername', () => {
  it('lower-cases', () => expect(canonicaliseUsername(' Bob_1 ')).toMatchObject({ ok: true, value: 'bob_1' }));
  it('refuses @, spaces and compatibility forms', () => {
    for (const input of ['a@b', 'a b', 'ｂｏｂ', '']) expect(canonicaliseUsername(input).ok).toBe(false);
  });
});
