import { describe, expect, it } from 'vitest';
import { blocklistSize, isCommonPassword } from './blocklist.ts';

describe('common-password blocklist', () => {
  it('has at least 10,000 entries', () => {
    expect(blocklistSize()).toBeGreaterThanOrEqual(10_000);
  });

  it('contains the usual suspects, case-insensitively', () => {
    for (const pw of ['password', '123456', 'qwertyuiop', 'PASSWORD', 'P@ssw0rd', 'ＰＡＳＳＷＯＲＤ']) {
      expect(isCommonPassword(pw), pw).toBe(true);
    }
  });

  it('does not flag an unusual password', () => {
    expect(isCommonPassword('Tz8!kQw#vR2m')).toBe(false);
  });
});

describe('common-password variants', () => {
  it.each(['Password123!', 'P@ssw0rd', 'Qwerty123', 'Dragon1!'])('rejects %s', (pw) => expect(isCommonPassword(pw)).toBe(true));
  it.each(['Correct-Horse-Battery-Staple', 'Brand-New-Pa55!', 'Xq7#mL2@vB'])('accepts %s', (pw) => expect(isCommonPassword(pw)).toBe(false));
});
