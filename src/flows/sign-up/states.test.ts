import { describe, expect, it } from 'vitest';
import { hasMessage } from '../../i18n/translate.ts';
import { allowedActions, canTransition, SIGN_UP_STATES } from './states.ts';

describe('sign-up transitions', () => {
  it('only a verified flow can create an account', () => {
    for (const state of SIGN_UP_STATES) expect(allowedActions(state).includes('create_account')).toBe(state === 'details');
    expect(canTransition('identify', 'create_account', 'done')).toBe(false);
    expect(canTransition('code_sent', 'create_account', 'done')).toBe(false);
  });
  it('done allows nothing (no replay)', () => expect(allowedActions('done')).toEqual([]));
  it('verification leads to details, or back to identify — never straight to done', () => {
    expect(canTransition('code_sent', 'verify_code', 'details')).toBe(true);
    expect(canTransition('code_sent', 'verify_code', 'done')).toBe(false);
    expect(canTransition('identify', 'verify_code', 'details')).toBe(false);
  });
});

describe('sign-up texts', () => {
  // The shared mailbox steps build `sign_up.<suffix>` codes at run time; a typo would show the raw code.
  const codes = ['code_sent', 'throttled', 'resend_wait', 'code_format', 'code_incorrect', 'code_expired', 'too_many_attempts', 'user_exists', 'email_verified'];
  it.each(['en', 'sv'] as const)('exist in %s', (locale) => {
    for (const code of codes) expect(hasMessage(locale, `sign_up.${code}`), code).toBe(true);
  });
});
