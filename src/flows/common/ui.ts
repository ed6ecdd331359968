// The UI description a flow carries in its JSON (after Ory Kratos): action, method, fields and messages.
// The hosted pages render it; a custom UI or native app can render the same JSON.
export interface UiText {
  code: string;
  params?: Record<string, string | number>;
  /** Filled at render time in the negotiated language. */
  text?: string;
}

export interface UiMessage extends UiText {
  type: 'error' | 'info' | 'success';
}

export interface UiNode {
  name: string;
  type: 'hidden' | 'text' | 'email' | 'password' | 'submit' | 'link';
  value?: string;
  label?: UiText;
  required?: boolean;
  /** Shown for reference; the server uses the value it stored (e.g. the address the code went to). */
  readonly?: boolean;
  autocomplete?: string;
  inputmode?: 'numeric' | 'email' | 'text';
  maxlength?: number;
  pattern?: string;
  /** Submit buttons that skip browser validation (e.g. "Send new code"). */
  formnovalidate?: boolean;
  href?: string;
  messages?: UiMessage[];
  /** Primary or secondary action (styling only). */
  variant?: 'primary' | 'secondary' | 'link';
}

export interface FlowUi {
  action: string;
  method: 'POST';
  title: UiText;
  intro?: UiText;
  nodes: UiNode[];
  messages: UiMessage[];
}

export const msg = (type: UiMessage['type'], code: string, params?: Record<string, string | number>): UiMessage => ({ type, code, ...(params ? { params } : {}) });

/** A submit button for one of the flow's actions. */
export const submitNode = (value: string, code: string, variant: UiNode['variant'] = 'primary', formnovalidate = false): UiNode => ({
  name: 'action',
  type: 'submit',
  value,
  label: { code },
  variant,
  ...(formnovalidate ? { formnovalidate } : {}),
});
