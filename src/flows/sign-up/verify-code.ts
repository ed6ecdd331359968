// Step "Verify code": the shared mailbox proof, then — only now that the mailbox is proven, so the answer
// tells nothing to someone who does not own the address — whether the address or username is taken.
// This early answer spares the customer a form they cannot complete; the authoritative check is still the
// unique index when the account is created (create-account.ts).
import type { Tenant } from '../../directory/tenants.ts';
import { audit } from '../../audit/audit.ts';
import type { Db } from '../../store/database.ts';
import { findUserByIdentity } from '../../store/queries/users.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg } from '../common/ui.ts';
import { moveFlow, type FlowRow } from '../common/flow-store.ts';
import type { StepResult } from '../common/step.ts';
import { proveMailbox } from '../common/verify-code.ts';
import { SIGN_UP_PROOF, signUpData, type SignUpData } from './flow.ts';

export async function identifierTaken(db: Db, tenantId: string, ids: { email: string; username?: string | undefined }): Promise<boolean> {
  if (await findUserByIdentity(db, tenantId, 'emailAddress', ids.email)) return true;
  return ids.username !== undefined && (await findUserByIdentity(db, tenantId, 'userName', ids.username)) !== undefined;
}

/** Back to the first step with B2C's "A user with the specified ID already exists" (the proof is spent). */
export async function backToIdentify(s: Services, flow: FlowRow, data: SignUpData): Promise<StepResult> {
  const { email: _e, codeSentAt: _c, ...rest } = data;
  const next = await moveFlow(s.db, flow, { state: 'identify', data: { ...rest, missing: [], messages: [msg('error', 'sign_up.user_exists')] } });
  return { flow: next, status: 409 };
}

export async function verifyCodeStep(s: Services, tenant: Tenant, flow: FlowRow, input: { code?: string }, ctx: RequestContext): Promise<StepResult> {
  const data = signUpData(flow);
  const proof = await proveMailbox(s, tenant, flow, SIGN_UP_PROOF, input, ctx);
  if (proof.status === 'failed') return proof.step;
  const auditCtx = { ip: ctx.ip, userAgent: ctx.userAgent };
  await audit(s.db, { tenantId: tenant.id, type: 'sign_up.code_verified', result: 'success', target: `email:${proof.address}` }, auditCtx);
  if (await identifierTaken(s.db, tenant.id, { email: proof.address, username: data.username })) {
    await audit(s.db, { tenantId: tenant.id, type: 'sign_up.rejected', result: 'failure', target: `email:${proof.address}`, details: { reason: 'user_exists' } }, auditCtx);
    return backToIdentify(s, flow, data);
  }
  // From here on `email` is the proven mailbox: the details step creates the account for exactly that address.
  const next = await moveFlow(s.db, flow, { state: 'details', data: { ...data, email: proof.address, messages: [msg('success', 'sign_up.email_verified')] } });
  return { flow: next, status: 200 };
}
