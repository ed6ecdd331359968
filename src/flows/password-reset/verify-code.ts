// Step "Verify code". Failures are pre-counted per address (across codes and flows) before the comparison,
// and per code inside the atomic UPDATE, so parallel guesses cannot exceed either limit.
import type { Tenant } from '../../directory/tenants.ts';
import { verifyCode } from '../../codes/codes.ts';
import { audit } from '../../audit/audit.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg, type UiMessage } from '../common/ui.ts';
import { moveFlow, type FlowRow } from '../common/flow-store.ts';
import { resetData } from './flow.ts';
import { findEligibleAccount } from './eligibility.ts';
import type { StepResult } from './handler.ts';

const UNAVAILABLE_MESSAGE = {
  account_not_found: 'password_reset.account_not_found',
  not_enabled: 'password_reset.not_enabled',
  account_disabled: 'password_reset.account_disabled',
} as const;

export async function verifyCodeStep(s: Services, tenant: Tenant, flow: FlowRow, input: { code?: string }, ctx: RequestContext): Promise<StepResult> {
  const data = resetData(flow);
  const stay = async (message: UiMessage, status: number): Promise<StepResult> => {
    const next = await moveFlow(s.db, flow, { state: 'code_sent', data: { ...data, messages: [message] } }).catch(() => flow);
    return { flow: next, status, extra: next === flow ? [message] : [] };
  };
  const code = (input.code ?? '').trim();
  if (!/^[0-9]{6}$/.test(code)) return stay(msg('error', 'password_reset.code_format'), 400);
  const failKey = `${tenant.id}:${data.email}`;
  const pre = await s.limits.codeFailuresPerAddress.consume(failKey);
  if (!pre.ok) return stay(msg('error', 'password_reset.too_many_attempts'), 429);
  const result = await verifyCode(s.db, s.keys, flow.id, code);
  const auditCtx = { ip: ctx.ip, userAgent: ctx.userAgent };
  if (result.status !== 'ok') {
    await audit(s.db, { tenantId: tenant.id, type: 'password_reset.code_failed', result: 'failure', target: `email:${data.email}`, details: { reason: result.status } }, auditCtx);
    switch (result.status) {
      case 'incorrect':
        return stay(msg('error', 'password_reset.code_incorrect'), 400);
      case 'too_many_attempts':
        return stay(msg('error', 'password_reset.too_many_attempts'), 429);
      case 'expired':
      case 'no_code':
        return stay(msg('error', 'password_reset.code_expired'), 400);
    }
  }
  // A correct code is not a failure: give the pre-counted point back.
  await s.limits.codeFailuresPerAddress.reward(failKey);
  const eligibility = await findEligibleAccount(s.db, tenant, { email: result.address, ...(data.username ? { username: data.username } : {}) });
  if (eligibility.status !== 'eligible') {
    await audit(s.db, { tenantId: tenant.id, type: 'password_reset.unavailable', result: 'failure', target: `email:${result.address}`, details: { reason: eligibility.status } }, auditCtx);
    const next = await moveFlow(s.db, flow, { state: 'unavailable', data: { ...data, reason: eligibility.status, messages: [msg('error', UNAVAILABLE_MESSAGE[eligibility.status])] } });
    return { flow: next, status: 200 };
  }
  await audit(s.db, { tenantId: tenant.id, type: 'password_reset.code_verified', result: 'success', actor: `user:${eligibility.user.id}`, target: `user:${eligibility.user.id}` }, auditCtx);
  const next = await moveFlow(s.db, flow, { state: 'new_password', data: { ...data, messages: [msg('success', 'password_reset.email_verified')] }, userId: eligibility.user.id });
  return { flow: next, status: 200 };
}
