// What a flow step returns to its routes: the flow as it is now and the HTTP status to answer with.
import type { FlowRow } from './flow-store.ts';
import type { UiMessage } from './ui.ts';

export interface StepResult {
  flow: FlowRow;
  status: number;
  /** Messages that could not be stored on the flow (it moved on meanwhile). */
  extra?: UiMessage[];
  /** Set when the step signed the user in (a reset inside an app sign-in, a completed sign-up). */
  sessionToken?: string;
}
