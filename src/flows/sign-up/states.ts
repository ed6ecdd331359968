// States of the self-service sign-up flow and the only transitions between them (diagram: states.mermaid).
// The mailbox is proven before the account exists, and the account is created only from `details`, so no
// step can be skipped; `done` allows nothing, so nothing can be replayed.
export const SIGN_UP_STATES = ['identify', 'code_sent', 'details', 'done'] as const;
export type SignUpState = (typeof SIGN_UP_STATES)[number];

export const SIGN_UP_ACTIONS = ['send_code', 'resend_code', 'change_email', 'verify_code', 'create_account'] as const;
export type SignUpAction = (typeof SIGN_UP_ACTIONS)[number];

export const SIGN_UP_TRANSITIONS: Record<SignUpState, Partial<Record<SignUpAction, readonly SignUpState[]>>> = {
  identify: { send_code: ['code_sent', 'identify'] },
  code_sent: {
    resend_code: ['code_sent'],
    change_email: ['identify'],
    // `identify` when the proven address (or the chosen username) already has an account.
    verify_code: ['code_sent', 'details', 'identify'],
  },
  details: {
    // `identify` when another sign-up took the address or username meanwhile (lost on the unique index).
    create_account: ['details', 'done', 'identify'],
    change_email: ['identify'],
  },
  done: {},
};

export function allowedActions(state: SignUpState): SignUpAction[] {
  return Object.keys(SIGN_UP_TRANSITIONS[state]) as SignUpAction[];
}

export function canTransition(from: SignUpState, action: SignUpAction, to: SignUpState): boolean {
  return SIGN_UP_TRANSITIONS[from][action]?.includes(to) ?? false;
}

export function isSignUpState(value: string): value is SignUpState {
  return (SIGN_UP_STATES as readonly string[]).includes(value);
}
