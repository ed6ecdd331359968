// Dispatches a submission to the step for the flow's state. The transition table (states.ts) decides which
// actions a state accepts; anything else is `flow.action_not_allowed`, so steps cannot be skipped or replayed.
import { NyckelError } from '../../errors.ts';
import type { Tenant } from '../../directory/tenants.ts';
import type { RequestContext, Services } from '../../services.ts';
import type { FlowRow } from '../common/flow-store.ts';
import type { StepResult } from '../common/step.ts';
import { changeEmail, resendCode, sendCode, type CodeSpending } from '../common/send-code.ts';
import { allowedActions, isSignUpState, type SignUpAction } from './states.ts';
import { SIGN_UP_PROOF } from './flow.ts';
import { verifyCodeStep } from './verify-code.ts';
import { createAccount, type AccountInput } from './create-account.ts';

export type SignUpInput = AccountInput & { action: SignUpAction; email?: string; username?: string; code?: string };

/** `spending`: the results of `sendCodeCharges` when the routes spent them, or the charges to spend in the step. */
export async function submitSignUp(s: Services, tenant: Tenant, flow: FlowRow, input: SignUpInput, ctx: RequestContext, spending?: CodeSpending): Promise<StepResult> {
  if (!isSignUpState(flow.state)) throw new NyckelError('flow.not_found', 404);
  if (!allowedActions(flow.state).includes(input.action)) throw new NyckelError('flow.action_not_allowed', 409);
  switch (input.action) {
    case 'send_code':
      return sendCode(s, tenant, flow, SIGN_UP_PROOF, input, ctx, spending);
    case 'resend_code':
      return resendCode(s, tenant, flow, SIGN_UP_PROOF, ctx);
    case 'change_email':
      return changeEmail(s, flow);
    case 'verify_code':
      return verifyCodeStep(s, tenant, flow, input, ctx);
    case 'create_account':
      return createAccount(s, tenant, flow, input, ctx);
  }
}
