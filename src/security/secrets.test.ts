import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKeys, hmacSha256 } from './secrets.ts';

describe('hmacSha256', () => {
  it('equals OpenSSL HMAC-SHA256 for keys up to a block and messages of any length and script', () => {
    const messages = ['', 'a', '36:flow|27:user@example.com|6:123456', 'å'.repeat(100), '😀'.repeat(40), 'x'.repeat(5000)];
    for (const length of [0, 1, 31, 32, 33, 63, 64]) {
      for (let round = 0; round < 5; round++) {
        const key = randomBytes(length);
        const mac = hmacSha256(key);
        for (const m of [...messages, randomBytes(50).toString('latin1')]) expect(mac(m)).toBe(createHmac('sha256', key).update(m, 'utf8').digest('base64url'));
      }
    }
    expect(() => hmacSha256(randomBytes(65))).toThrow(/longer than the block/);
  });

  it('is what deriveKeys signs with: length-prefixed parts under the purpose key', () => {
    const keys = deriveKeys('unit-test-secret-unit-test-secret-012345');
    const expected = createHmac('sha256', keys.key('codes')).update('2:ab|1:c').digest('base64url');
    expect(keys.hmac('codes', 'ab', 'c')).toBe(expected);
    expect(keys.hmac('codes', 'a', 'bc')).not.toBe(expected);
    expect(keys.hmac('csrf', 'ab', 'c')).not.toBe(expected);
  });
});
