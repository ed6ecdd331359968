// Step "Verify code", shared by every flow that proves a mailbox. Failures are pre-counted per address
// (across codes, flows and flow kinds) before the comparison, and per code inside the atomic UPDATE, so
// parallel guesses cannot exceed either limit. What a proven mailbox leads to is the calling flow's business.
import type { Tenant } from '../../directory/tenants.ts';
import { verifyCode } from '../../codes/codes.ts';
import { audit } from '../../audit/audit.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg, type UiMessage } from './ui.ts';
import { moveFlow, type FlowRow } from './flow-store.ts';
import type { MailboxData, MailboxProof } from './send-code.ts';
import type { StepResult } from './step.ts';

export type ProofResult =
  /** The code was right and is now consumed: `address` is the canonical mailbox it went to. */
  | { status: 'proven'; address: string }
  /** Wrong, expired or throttled: the flow stays where it is with a message; answer with `step`. */
  | { status: 'failed'; step: StepResult };

export async function proveMailbox(s: Services, tenant: Tenant, flow: FlowRow, proof: MailboxProof, input: { code?: string }, ctx: RequestContext): Promise<ProofResult> {
  const data = flow.data as unknown as MailboxData;
  const stay = async (message: UiMessage, status: number): Promise<ProofResult> => {
    const next = await moveFlow(s.db, flow, { state: flow.state, data: { ...data, messages: [message] } }).catch(() => flow);
    return { status: 'failed', step: { flow: next, status, extra: next === flow ? [message] : [] } };
  };
  const m = (suffix: string) => msg('error', `${proof.purpose}.${suffix}`);
  const code = (input.code ?? '').trim();
  if (!/^[0-9]{6}$/.test(code)) return stay(m('code_format'), 400);
  const failKey = `${tenant.id}:${data.email}`;
  const pre = await s.limits.codeFailuresPerAddress.consume(failKey);
  if (!pre.ok) return stay(m('too_many_attempts'), 429);
  const result = await verifyCode(s.db, s.keys, flow.id, code);
  if (result.status !== 'ok') {
    await audit(s.db, { tenantId: tenant.id, type: `${proof.purpose}.code_failed`, result: 'failure', target: `email:${data.email}`, details: { reason: result.status } }, { ip: ctx.ip, userAgent: ctx.userAgent });
    switch (result.status) {
      case 'incorrect':
        return stay(m('code_incorrect'), 400);
      case 'too_many_attempts':
        return stay(m('too_many_attempts'), 429);
      case 'expired':
      case 'no_code':
        return stay(m('code_expired'), 400);
    }
  }
  // A correct code is not a failure: give the pre-counted point back.
  await s.limits.codeFailuresPerAddress.reward(failKey);
  return { status: 'proven', address: result.address };
}
