// The sign-up flow's data and its JSON form (with the UI description the hosted page renders).
import { submitNode, type FlowUi, type UiMessage, type UiNode } from '../common/ui.ts';
import type { FlowRow } from '../common/flow-store.ts';
import type { MailboxData, MailboxProof } from '../common/send-code.ts';
import type { FlowJson } from '../password-reset/flow.ts';
import { describePolicy, type CustomPolicy, type PasswordPreset } from '../../credentials/policy.ts';
import type { SignUpState } from './states.ts';

export const SIGN_UP_KIND = 'sign_up';
/** Sign-up's mailbox proof: its code purpose, mail template, audit types and messages. */
export const SIGN_UP_PROOF: MailboxProof = { purpose: 'sign_up', template: 'signup_code' };

/** The profile fields the details step collects (all required, as in B2C's built-in sign-up flow). */
export const PROFILE_FIELDS = ['display_name', 'given_name', 'surname'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type Profile = Partial<Record<ProfileField, string>>;

export interface SignUpData extends MailboxData {
  policy: string;
  passwordPreset: PasswordPreset;
  customPolicy?: CustomPolicy;
  /** Where the browser goes once signed up (the signed-in page, or the OIDC interaction). */
  returnTo: string;
  /** "Cancel": back to the flow's sign-in page. */
  signInUrl: string;
  interaction?: string;
  /** What was typed on the details step, kept to refill the form (never the password). */
  profile?: Profile;
  /** Required fields left empty on the last submission. */
  missing?: ProfileField[];
}

export const signUpData = (flow: FlowRow) => flow.data as unknown as SignUpData;

const submit = submitNode;

const MAX_LENGTH: Record<ProfileField, number> = { display_name: 256, given_name: 64, surname: 64 };
const AUTOCOMPLETE: Record<ProfileField, string> = { display_name: 'name', given_name: 'given-name', surname: 'family-name' };

function profileNode(name: ProfileField, data: SignUpData): UiNode {
  return {
    name,
    type: 'text',
    label: { code: `field.${name}` },
    value: data.profile?.[name] ?? '',
    required: true,
    autocomplete: AUTOCOMPLETE[name],
    maxlength: MAX_LENGTH[name],
    ...(data.missing?.includes(name) ? { messages: [{ type: 'error' as const, code: 'sign_up.required' }] } : {}),
  };
}

function nodesFor(state: SignUpState, data: SignUpData): UiNode[] {
  const cancel: UiNode = { name: 'cancel', type: 'link', href: data.signInUrl, label: { code: 'sign_up.cancel' }, variant: 'link' };
  switch (state) {
    case 'identify': {
      const nodes: UiNode[] = [];
      if (data.identityType === 'username') {
        nodes.push({ name: 'username', type: 'text', label: { code: 'field.username' }, value: data.username ?? '', required: true, autocomplete: 'username', maxlength: 64 });
      }
      nodes.push({ name: 'email', type: 'email', label: { code: 'field.email' }, value: data.emailDisplay ?? '', required: true, autocomplete: 'email', inputmode: 'email', maxlength: 254 });
      return [...nodes, submit('send_code', 'sign_up.send_code'), cancel];
    }
    case 'code_sent':
      return [
        { name: 'email', type: 'email', label: { code: 'field.email' }, value: data.emailDisplay ?? '', autocomplete: 'email', readonly: true },
        { name: 'code', type: 'text', label: { code: 'field.code' }, required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, pattern: '[0-9]{6}' },
        submit('verify_code', 'sign_up.verify_code'),
        submit('resend_code', 'sign_up.resend_code', 'secondary', true),
        submit('change_email', 'sign_up.change_email', 'link', true),
        cancel,
      ];
    case 'details': {
      const rules = describePolicy(data.passwordPreset, data.customPolicy);
      return [
        { name: 'password', type: 'password', label: { code: 'field.new_password' }, required: true, autocomplete: 'new-password', maxlength: 256, messages: [{ type: 'info', ...rules }] },
        { name: 'confirm_password', type: 'password', label: { code: 'field.confirm_password' }, required: true, autocomplete: 'new-password', maxlength: 256 },
        ...PROFILE_FIELDS.map((name) => profileNode(name, data)),
        submit('create_account', 'sign_up.create'),
        submit('change_email', 'sign_up.change_email', 'link', true),
        cancel,
      ];
    }
    case 'done':
      return [{ name: 'continue', type: 'link', href: data.returnTo, label: { code: 'sign_up.continue' }, variant: 'primary' }];
  }
}

export function signUpFlowJson(flow: FlowRow, action: string, extra: UiMessage[] = []): FlowJson {
  const data = signUpData(flow);
  const state = flow.state as SignUpState;
  const ui: FlowUi = {
    action,
    method: 'POST',
    title: { code: state === 'done' ? 'sign_up.done_title' : 'sign_up.title' },
    intro: { code: `sign_up.intro.${state}`, ...(state === 'details' ? { params: { email: data.emailDisplay ?? data.email ?? '' } } : {}) },
    nodes: nodesFor(state, data),
    messages: [...(data.messages ?? []), ...extra],
  };
  return { id: flow.id, type: SIGN_UP_KIND, state, expires_at: flow.expires_at.toISOString(), ui };
}
