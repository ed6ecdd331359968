// The password reset flow's data and its JSON form (with the UI description the hosted page renders).
import { submitNode, type FlowUi, type UiMessage, type UiNode } from '../common/ui.ts';
import type { FlowRow } from '../common/flow-store.ts';
import type { MailboxProof } from '../common/send-code.ts';
import { describePolicy, type PasswordPreset } from '../../credentials/policy.ts';
import type { ResetState } from './states.ts';

export const RESET_KIND = 'password_reset';
/** The reset's mailbox proof: its code purpose, mail template, audit types and messages. */
export const RESET_PROOF: MailboxProof = { purpose: 'password_reset', template: 'reset_code' };

export interface ResetData {
  policy: string;
  identityType: 'email' | 'username';
  passwordPreset: PasswordPreset;
  locale?: string;
  /** Canonical address the current code went to (the mailbox being proven). */
  email?: string;
  /** As typed (NFC), for display only. */
  emailDisplay?: string;
  username?: string;
  codeSentAt?: string;
  /** Where "Continue" goes when done (sign-in page of the flow, or an OIDC interaction). */
  returnTo?: string;
  messages?: UiMessage[];
  reason?: string;
  /** OIDC interaction this reset belongs to (started from an app's sign-in page). */
  interaction?: string;
  /** Open a session when done, so the app gets its tokens without a second sign-in. */
  signInAfter?: boolean;
  /** Inside an app's sign-in: "Cancel" returns AADB2C90091 to the app (served by oidc/interactions.ts). */
  cancelUrl?: string;
}

export const resetData = (flow: FlowRow) => flow.data as unknown as ResetData;

export interface FlowJson {
  id: string;
  type: string;
  state: string;
  expires_at: string;
  ui: FlowUi;
}

const submit = submitNode;

function nodesFor(state: ResetState, data: ResetData): UiNode[] {
  switch (state) {
    case 'identify': {
      const nodes: UiNode[] = [];
      if (data.identityType === 'username') {
        nodes.push({ name: 'username', type: 'text', label: { code: 'field.username' }, value: data.username ?? '', required: true, autocomplete: 'username', maxlength: 64 });
      }
      nodes.push({ name: 'email', type: 'email', label: { code: 'field.email' }, value: data.emailDisplay ?? '', required: true, autocomplete: 'email', inputmode: 'email', maxlength: 254 });
      nodes.push(submit('send_code', 'password_reset.send_code'));
      return nodes;
    }
    case 'code_sent':
      return [
        { name: 'email', type: 'email', label: { code: 'field.email' }, value: data.emailDisplay ?? '', autocomplete: 'email', readonly: true },
        { name: 'code', type: 'text', label: { code: 'field.code' }, required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, pattern: '[0-9]{6}' },
        submit('verify_code', 'password_reset.verify_code'),
        submit('resend_code', 'password_reset.resend_code', 'secondary', true),
        submit('change_email', 'password_reset.change_email', 'link', true),
      ];
    case 'new_password': {
      const rules = describePolicy(data.passwordPreset);
      return [
        { name: 'password', type: 'password', label: { code: 'field.new_password' }, required: true, autocomplete: 'new-password', maxlength: 256, messages: [{ type: 'info', ...rules }] },
        { name: 'confirm_password', type: 'password', label: { code: 'field.confirm_password' }, required: true, autocomplete: 'new-password', maxlength: 256 },
        submit('set_password', 'password_reset.set_password'),
      ];
    }
    case 'done':
    case 'unavailable':
      return [{ name: 'continue', type: 'link', href: data.returnTo ?? '', label: { code: state === 'done' ? 'password_reset.continue' : 'password_reset.back_to_sign_in' }, variant: 'primary' }];
  }
}

export function resetFlowJson(flow: FlowRow, action: string, extra: UiMessage[] = []): FlowJson {
  const data = resetData(flow);
  const state = flow.state as ResetState;
  return {
    id: flow.id,
    type: RESET_KIND,
    state,
    expires_at: flow.expires_at.toISOString(),
    ui: {
      action,
      method: 'POST',
      title: { code: state === 'done' ? 'password_reset.done_title' : 'password_reset.title' },
      // On the code page B2C's own "code has been sent" message says it all; no second intro.
      ...(state === 'code_sent' ? {} : { intro: { code: `password_reset.intro.${state}` } }),
      nodes: [...nodesFor(state, data), ...(data.cancelUrl && state !== 'done' && state !== 'unavailable' ? [{ name: 'cancel', type: 'link' as const, href: data.cancelUrl, label: { code: 'sign_up.cancel' }, variant: 'link' as const }] : [])],
      messages: [...(data.messages ?? []), ...extra],
    },
  };
}
