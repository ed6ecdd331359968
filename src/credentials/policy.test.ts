import { describe, expect, it } from 'vitest';
import { checkPassword, describePolicy, type PasswordPreset } from './policy.ts';

// n code points from a non-dictionary pattern with all four classes.
const mixed = (n: number) => Array.from({ length: n }, (_, i) => 'Tz8!kQw#'[i % 8]).join('');
const lowerOnly = (n: number) => Array.from({ length: n }, (_, i) => 'tzkqwmxv'[i % 8]).join('');
const check = (pw: string, preset: PasswordPreset, context?: string[]) => checkPassword(pw, { preset, context });

describe('length presets (code points after NFKC)', () => {
  it.each([
    ['simple', 8, 64],
    ['strong', 8, 64],
    ['nist', 15, 64],
  ] as const)('%s: %i..%i', (preset, min, max) => {
    expect(check(mixed(min - 1), preset)).toEqual({ ok: false, code: 'password.too_short', params: { min } });
    expect(check(mixed(min), preset)).toEqual({ ok: true });
    expect(check(mixed(max), preset)).toEqual({ ok: true });
    expect(check(mixed(max + 1), preset)).toEqual({ ok: false, code: 'password.too_long', params: { max } });
  });

  it('counts an emoji as one character (not two UTF-16 units)', () => {
    expect(check('😀'.repeat(7), 'simple')).toMatchObject({ code: 'password.too_short' });
    expect(check('😀'.repeat(8), 'simple')).toEqual({ ok: true });
    expect(check('😀'.repeat(64), 'simple')).toEqual({ ok: true });
    expect(check('😀'.repeat(65), 'simple')).toMatchObject({ code: 'password.too_long' });
  });

  it('counts after NFKC: ligatures expand, combining sequences compose', () => {
    expect(check('\uFB01'.repeat(4), 'simple')).toEqual({ ok: true }); // 4 typed, "fifififi" = 8
    expect(check('\uFB01'.repeat(33), 'simple')).toMatchObject({ code: 'password.too_long' }); // 66 after NFKC
    expect(check('e\u0301'.repeat(7), 'simple')).toMatchObject({ code: 'password.too_short' }); // 14 typed, 7 "é"
    expect(check('e\u0301'.repeat(8), 'simple')).toEqual({ ok: true });
  });

  it('refuses more than 1,024 UTF-8 bytes even when the length rule would allow it', () => {
    const custom = { minLength: 8, maxLength: 1024, minClasses: 0 };
    expect(checkPassword('é'.repeat(512), { preset: 'custom', custom })).toEqual({ ok: true }); // 1,024 bytes
    expect(checkPassword('é'.repeat(513), { preset: 'custom', custom })).toMatchObject({ code: 'password.too_long' });
  });
});

describe('composition', () => {
  it('strong needs 3 of 4 classes', () => {
    expect(check('tzkqwmxv', 'strong')).toEqual({ ok: false, code: 'password.too_simple', params: { classes: 3 } });
    expect(check('tzkqwmx8', 'strong')).toMatchObject({ code: 'password.too_simple' });
    expect(check('tzkqwM8x', 'strong')).toEqual({ ok: true });
    expect(check('tzkq wmx8', 'strong')).toEqual({ ok: true }); // a space is a symbol
  });

  it('simple and nist have no composition rules', () => {
    expect(check(lowerOnly(8), 'simple')).toEqual({ ok: true });
    expect(check(lowerOnly(15), 'nist')).toEqual({ ok: true });
  });

  it('custom applies its own numbers and refuses a broken configuration', () => {
    const custom = { minLength: 10, maxLength: 20, minClasses: 2 };
    const run = (pw: string) => checkPassword(pw, { preset: 'custom', custom });
    expect(run('tzkqwmx8v')).toEqual({ ok: false, code: 'password.too_short', params: { min: 10 } });
    expect(run('tzkqwmx8vb')).toEqual({ ok: true });
    expect(run(lowerOnly(10))).toEqual({ ok: false, code: 'password.too_simple', params: { classes: 2 } });
    expect(run(`${lowerOnly(20)}8`)).toEqual({ ok: false, code: 'password.too_long', params: { max: 20 } });
    expect(() => checkPassword('x', { preset: 'custom' })).toThrow('password.policy_invalid');
    expect(() => checkPassword('x', { preset: 'custom', custom: { minLength: 9, maxLength: 8, minClasses: 0 } })).toThrow();
  });
});

describe('blocklist and context words (every preset)', () => {
  it('rejects common passwords case-insensitively', () => {
    expect(check('password', 'simple')).toEqual({ ok: false, code: 'password.common', params: {} });
    expect(check('PassWord', 'simple')).toMatchObject({ code: 'password.common' });
    expect(check('P@ssw0rd', 'strong')).toMatchObject({ code: 'password.common' });
    expect(check('1qaz2wsx3edc4rfv', 'nist')).toMatchObject({ code: 'password.common' });
    expect(checkPassword('qwertyuiop', { preset: 'custom', custom: { minLength: 1, maxLength: 64, minClasses: 0 } }))
      .toMatchObject({ code: 'password.common' });
  });

  it('rejects tenant name, username and e-mail local part (≥ 4 chars), case-insensitively', () => {
    const context = ['Contoso Ltd', 'John.Smith@example.com', 'jsmith42'];
    for (const pw of ['myCONTOSO!pass', 'smith-Rules-77', 'xx-JSmith42-yy', 'john.smith!9Q']) {
      expect(check(pw, 'simple', context), pw).toEqual({ ok: false, code: 'password.contains_context', params: {} });
    }
    expect(check('example-99-tzq', 'simple', context)).toEqual({ ok: true }); // the domain is not personal
    expect(check('ltd-bob-99-tzq', 'simple', ['Bob', 'Contoso Ltd'])).toEqual({ ok: true }); // < 4 chars ignored
    expect(check('my-acme-9-tzq', 'nist', ['Ａｃｍｅ'])).toMatchObject({ code: 'password.too_short' });
    expect(check('my-acme-9-tzq-xyz', 'nist', ['Ａｃｍｅ'])).toMatchObject({ code: 'password.contains_context' }); // NFKC
  });
});

describe('describePolicy', () => {
  it('returns the rule text code and its numbers', () => {
    expect(describePolicy('simple')).toEqual({ code: 'password.rules.simple', params: { min: 8, max: 64, classes: 0 } });
    expect(describePolicy('strong')).toEqual({ code: 'password.rules.strong', params: { min: 8, max: 64, classes: 3 } });
    expect(describePolicy('nist')).toEqual({ code: 'password.rules.nist', params: { min: 15, max: 64, classes: 0 } });
    expect(describePolicy('custom', { minLength: 12, maxLength: 40, minClasses: 2 })).toEqual({
      code: 'password.rules.custom',
      params: { min: 12, max: 40, classes: 2 },
    });
  });
});
