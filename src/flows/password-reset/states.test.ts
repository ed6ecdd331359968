import { describe, expect, it } from 'vitest';
import { allowedActions, canTransition, RESET_STATES } from './states.ts';

describe('password reset transitions', () => {
  it('only a verified flow can set a password', () => {
    for (const state of RESET_STATES) {
      expect(allowedActions(state).includes('set_password')).toBe(state === 'new_password');
    }
    expect(canTransition('identify', 'set_password', 'done')).toBe(false);
    expect(canTransition('code_sent', 'set_password', 'done')).toBe(false);
  });
  it('terminal states allow nothing (no replay)', () => {
    expect(allowedActions('done')).toEqual([]);
    expect(allowedActions('unavailable')).toEqual([]);
  });
  it('verification can only lead forward to new_password or unavailable', () => {
    expect(canTransition('code_sent', 'verify_code', 'new_password')).toBe(true);
    expect(canTransition('code_sent', 'verify_code', 'done')).toBe(false);
    expect(canTransition('identify', 'verify_code', 'new_password')).toBe(false);
  });
});
