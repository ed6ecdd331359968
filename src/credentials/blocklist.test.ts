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
