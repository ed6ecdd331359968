import { describe, expect, it } from 'vitest';
import { wakeLatch } from './wake-latch.ts';

describe('wake latch', () => {
  it('lets the first wake through, holds the rest until lowered, and is shared through its buffer', () => {
    const here = wakeLatch();
    const there = wakeLatch(here.buffer); // as the mail thread sees it
    expect(here.raise()).toBe(true);
    expect([here.raise(), here.raise(), here.raise()]).toEqual([false, false, false]);
    there.lower();
    expect(here.raise()).toBe(true);
    expect(here.raise()).toBe(false);
  });
});
