import { describe, expect, it } from 'vitest';
import { describeError, retryDelayMs } from './dispatcher.ts';

describe('retryDelayMs', () => {
  it('doubles per attempt around 2^attempts seconds, with ±25 % jitter', () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(2000);
    expect(retryDelayMs(3, () => 0.5)).toBe(8000);
    expect(retryDelayMs(3, () => 0)).toBe(6000);
    expect(retryDelayMs(3, () => 0.999999)).toBeCloseTo(10_000, -1);
  });
  it('is capped at 15 minutes', () => {
    expect(retryDelayMs(30, () => 0.999999)).toBe(15 * 60_000);
  });
});

describe('describeError', () => {
  it('keeps the SMTP code and message on one line, without long digit runs', () => {
    const err = Object.assign(new Error('Message failed: 550 rejected\r\ncode 482913 echoed'), { code: 'EENVELOPE', responseCode: 550 });
    expect(describeError(err)).toBe('EENVELOPE 550 Message failed: 550 rejected code [redacted] echoed');
  });
});
