// Step "Verify code": the shared mailbox proof (common/verify-code.ts), then — only once the mailbox is
// proven — the account lookup, so its outcome tells nothing to someone who does not own the address.
import type { Tenant } from '../../directory/tenants.ts';
import { audit } from '../../audit/audit.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg } from '../common/ui.ts';
import { moveFlow, type FlowRow } from '../common/flow-store.ts';
import { proveMailbox } from '../common/verify-code.ts';
import { RESET_PROOF, resetData } from './flow.ts';
import { findEligibleAccount } from './eligibility.ts';
import type { StepResult } from './handler.ts';

const UNAVAILABLE_MESSAGE = {
  account_not_found: 'password_reset.account_not_found',
  not_enabled: 'password_reset.not_enabled',
  account_disabled: 'password_reset.account_disabled',
} as const;

export async function verifyCodeStep(s: Services, tenant: Tenant, flow: FlowRow, input: { code?: string }, ctx: RequestContext): Promise<StepResult> {
  const data = resetData(flow);
  const proof = await proveMailbox(s, tenant, flow, RESET_PROOF, input, ctx);
  if (proof.status === 'failed') return proof.step;
  const auditCtx = { ip: ctx.ip, userAgent: ctx.userAgent };
  const eligibility = await findEligibleAccount(s.db, tenant, { email: proof.address, ...(data.username ? { username: data.username } : {}) });
  if (eligibility.status !== 'eligible') {
    await audit(s.db, { tenantId: tenant.id, type: 'password_reset.unavailable', result: 'failure', target: `email:${proof.address}`, details: { reason: eligibility.status } }, auditCtx);
    const next = await moveFlow(s.db, flow, { state: 'unavailable', data: { ...data, reason: eligibility.status, messages: [msg('error', UNAVAILABLE_MESSAGE[eligibility.status])] } });
    return { flow: next, status: 200 };
  }
  await audit(s.db, { tenantId: tenant.id, type: 'password_reset.code_verified', result: 'success', actor: `user:${eligibility.user.id}`, target: `user:${eligibility.user.id}` }, auditCtx);
  const next = await moveFlow(s.db, flow, { state: 'new_password', data: { ...data, messages: [msg('success', 'password_reset.email_verified')] }, userId: eligibility.user.id });
  return { flow: next, status: 200 };
}
