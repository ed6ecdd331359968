// The sign-in flow: one state that takes credentials, and `done`. Its JSON carries the UI description,
// including the "Forgot your password?" link only when the tenant's SSPR mode is not `none`.
import type { FlowUi, UiMessage, UiNode } from '../common/ui.ts';
import type { FlowRow } from '../common/flow-store.ts';
import type { FlowJson } from '../password-reset/flow.ts';

export const SIGN_IN_KIND = 'sign_in';
export type SignInState = 'credentials' | 'done';

export interface SignInData {
  policy: string;
  identityType: 'email' | 'username';
  locale?: string;
  identifier?: string;
  /** Set while SSPR is enabled for the tenant: where "Forgot your password?" leads. */
  resetUrl?: string | undefined;
  /** Set for sign-up-or-sign-in user flows: where "Sign up now" leads. */
  signUpUrl?: string | undefined;
  /** Where to go after sign-in (the signed-in page, or the OIDC interaction). */
  returnTo?: string;
  interaction?: string;
  messages?: UiMessage[];
}

export const signInData = (flow: FlowRow) => flow.data as unknown as SignInData;

export function signInFlowJson(flow: FlowRow, action: string, extra: UiMessage[] = []): FlowJson {
  const data = signInData(flow);
  const idField: UiNode =
    data.identityType === 'username'
      ? { name: 'identifier', type: 'text', label: { code: 'field.username' }, value: data.identifier ?? '', required: true, autocomplete: 'username', maxlength: 64 }
      : { name: 'identifier', type: 'email', label: { code: 'field.email' }, value: data.identifier ?? '', required: true, autocomplete: 'username', inputmode: 'email', maxlength: 254 };
  const nodes: UiNode[] = [
    idField,
    { name: 'password', type: 'password', label: { code: 'field.password' }, required: true, autocomplete: 'current-password', maxlength: 256 },
  ];
  if (data.resetUrl) nodes.push({ name: 'forgot_password', type: 'link', href: data.resetUrl, label: { code: 'sign_in.forgot_password' }, variant: 'link' });
  nodes.push({ name: 'action', type: 'submit', value: 'sign_in', label: { code: 'sign_in.submit' }, variant: 'primary' });
  if (data.signUpUrl) nodes.push({ name: 'sign_up', type: 'link', href: data.signUpUrl, label: { code: 'sign_in.sign_up' }, variant: 'link' });
  const ui: FlowUi = { action, method: 'POST', title: { code: 'sign_in.title' }, intro: { code: 'sign_in.intro' }, nodes, messages: [...(data.messages ?? []), ...extra] };
  return { id: flow.id, type: SIGN_IN_KIND, state: flow.state, expires_at: flow.expires_at.toISOString(), ui };
}
