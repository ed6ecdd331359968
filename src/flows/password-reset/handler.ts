// Dispatches a submission to the step for the flow's state. The transition table (states.ts) decides which
// actions a state accepts; anything else is `flow.action_not_allowed`, so steps cannot be skipped or replayed.
import { NyckelError } from '../../errors.ts';
import type { Tenant } from '../../directory/tenants.ts';
import type { RequestContext, Services } from '../../services.ts';
import type { UiMessage } from '../common/ui.ts';
import type { FlowRow } from '../common/flow-store.ts';
import { allowedActions, isResetState, type ResetAction } from './states.ts';
import { changeEmail, resendCode, sendCode } from './send-code.ts';
import { verifyCodeStep } from './verify-code.ts';
import { setPassword } from './set-password.ts';

export interface ResetInput {
  action: ResetAction;
  email?: string;
  username?: string;
  code?: string;
  password?: string;
  confirm_password?: string;
}

export interface StepResult {
  flow: FlowRow;
  status: number;
  /** Messages that could not be stored on the flow (it moved on meanwhile). */
  extra?: UiMessage[];
  /** Set when the step signed the user in (reset inside an app sign-in). */
  sessionToken?: string;
}

export async function submitReset(s: Services, tenant: Tenant, flow: FlowRow, input: ResetInput, ctx: RequestContext): Promise<StepResult> {
  if (!isResetState(flow.state)) throw new NyckelError('flow.not_found', 404);
  if (!allowedActions(flow.state).includes(input.action)) throw new NyckelError('flow.action_not_allowed', 409);
  switch (input.action) {
    case 'send_code':
      return sendCode(s, tenant, flow, input, ctx);
    case 'resend_code':
      return resendCode(s, tenant, flow, ctx);
    case 'change_email':
      return changeEmail(s, flow);
    case 'verify_code':
      return verifyCodeStep(s, tenant, flow, input, ctx);
    case 'set_password':
      return setPassword(s, tenant, flow, input, ctx);
  }
}
