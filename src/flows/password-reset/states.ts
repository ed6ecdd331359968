// States of the self-service password reset flow and the only transitions between them
// (diagram: states.mermaid). Handlers switch on the state exhaustively; a transition not in this table
// is refused, so no step can be skipped or replayed.
export const RESET_STATES = ['identify', 'code_sent', 'new_password', 'done', 'unavailable'] as const;
export type ResetState = (typeof RESET_STATES)[number];

export type ResetAction = 'send_code' | 'resend_code' | 'change_email' | 'verify_code' | 'set_password';

export const RESET_TRANSITIONS: Record<ResetState, Partial<Record<ResetAction, readonly ResetState[]>>> = {
  identify: { send_code: ['code_sent', 'identify'] },
  code_sent: {
    resend_code: ['code_sent'],
    change_email: ['identify'],
    verify_code: ['code_sent', 'new_password', 'unavailable'],
  },
  new_password: { set_password: ['new_password', 'done'] },
  done: {},
  unavailable: {},
};

export function allowedActions(state: ResetState): ResetAction[] {
  return Object.keys(RESET_TRANSITIONS[state]) as ResetAction[];
}

export function canTransition(from: ResetState, action: ResetAction, to: ResetState): boolean {
  return RESET_TRANSITIONS[from][action]?.includes(to) ?? false;
}

export function isResetState(value: string): value is ResetState {
  return (RESET_STATES as readonly string[]).includes(value);
}
