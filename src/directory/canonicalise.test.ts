import { describe, expect, it } from 'vitest';
import { domainToASCII } from 'node:url';
import { canonicaliseEmail, canonicaliseUsername, toAsciiDomain } from './canonicalise.ts';

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

describe('toAsciiDomain', () => {
  it('gives what the URL host parser gives, also for the domains it takes without asking it', () => {
    // Pseudo-random domains from the characters where the shortcut could go wrong: punycode prefixes, digits
    // (a numeric last label is an IPv4 address), hex prefixes, hyphens at label edges, empty labels.
    const pieces = ['a', 'b', 'z', '0', '1', '9', '-', '.', 'xn--', 'xn--bcher-kva', '0x', 'f', 'example', 'com', '123'];
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % pieces.length;
    let shortcut = 0;
    for (let i = 0; i < 20000; i++) {
      const domain = Array.from({ length: 1 + (i % 7) }, next).map((k) => pieces[k]).join('');
      expect(toAsciiDomain(domain), domain).toBe(domainToASCII(domain));
      if (toAsciiDomain(domain) === domain && /^[a-z0-9.-]+$/.test(domain)) shortcut++;
    }
    expect(shortcut).toBeGreaterThan(1000); // the shortcut was taken, and agreed
    for (const domain of ['example.123', 'a.0x1f', 'xn--bcher-kva.de', 'a.xn--zz', 'bench.example', 'mail.example.com'])
      expect(toAsciiDomain(domain), domain).toBe(domainToASCII(domain));
  });
});

describe('canonicaliseUsername', () => {
  it('lower-cases', () => expect(canonicaliseUsername(' Bob_1 ')).toMatchObject({ ok: true, value: 'bob_1' }));
  it('refuses @, spaces and compatibility forms', () => {
    for (const input of ['a@b', 'a b', 'ｂｏｂ', '']) expect(canonicaliseUsername(input).ok).toBe(false);
  });
});
