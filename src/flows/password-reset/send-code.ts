// Steps "Send verification code" and "Send new code". B2C's model: the code goes to any well-formed address
// and the account is looked up only after the mailbox is proven, so this step reads no user row at all —
// identical work, response and timing for existing and unknown addresses (SECURITY.md "Requesting a reset").
import { canonicaliseEmail, canonicaliseUsername } from '../../directory/canonicalise.ts';
import type { Tenant } from '../../directory/tenants.ts';
import { issueCode } from '../../codes/codes.ts';
import { enqueueMail } from '../../mail/outbox.ts';
import { audit } from '../../audit/audit.ts';
import { invalidateCodesOfFlow } from '../../store/queries/verification-codes.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg } from '../common/ui.ts';
import { moveFlow, type FlowRow } from '../common/flow-store.ts';
import { resetData, type ResetData } from './flow.ts';
import type { StepResult } from './handler.ts';
import { isLocale } from '../../i18n/locales.ts';

/** Both limits are spent for every request in the same order, so throttling looks the same for any address. */
async function withinLimits(s: Services, tenant: Tenant, address: string, ctx: RequestContext): Promise<boolean> {
  const byIp = await s.limits.resetRequestsPerIp.consume(`${tenant.id}:${ctx.ip}`);
  const byAddress = await s.limits.codesPerAddress.consume(`${tenant.id}:${address}`);
  return byIp.ok && byAddress.ok;
}

async function mailCode(s: Services, tenant: Tenant, flow: FlowRow, data: ResetData, address: string, ctx: RequestContext): Promise<FlowRow> {
  const next = await s.db.transaction().execute(async (tx) => {
    const code = await issueCode(tx, s.keys, {
      tenantId: tenant.id,
      flowId: flow.id,
      purpose: 'password_reset',
      address,
      ttlSeconds: s.config.codes.ttlSeconds,
      maxAttempts: s.config.codes.maxAttempts,
    });
    await enqueueMail(tx, {
      tenantId: tenant.id,
      template: 'reset_code',
      recipient: address,
      locale: data.locale && isLocale(data.locale) ? data.locale : 'en',
      params: { tenantName: tenant.display_name, code, minutes: Math.round(s.config.codes.ttlSeconds / 60) },
      holdsSecret: true,
    });
    const moved = await moveFlow(tx, flow, {
      state: 'code_sent',
      data: { ...data, email: address, codeSentAt: new Date().toISOString(), messages: [msg('info', 'password_reset.code_sent')] },
    });
    await audit(tx, { tenantId: tenant.id, type: 'password_reset.code_sent', result: 'success', target: `email:${address}`, details: { flow: flow.id } }, { ip: ctx.ip, userAgent: ctx.userAgent });
    return moved;
  });
  s.mailQueued();
  return next;
}

export async function sendCode(s: Services, tenant: Tenant, flow: FlowRow, input: { email?: string; username?: string }, ctx: RequestContext): Promise<StepResult> {
  const data = resetData(flow);
  const email = canonicaliseEmail(input.email ?? '');
  const username = data.identityType === 'username' ? canonicaliseUsername(input.username ?? '') : undefined;
  const display = { emailDisplay: (input.email ?? '').slice(0, 254), ...(data.identityType === 'username' ? { username: (input.username ?? '').slice(0, 64) } : {}) };
  const invalid = !email.ok ? email.code : username && !username.ok ? username.code : undefined;
  if (invalid || !email.ok) {
    const next = await moveFlow(s.db, flow, { state: 'identify', data: { ...data, ...display, messages: [msg('error', invalid ?? 'email.invalid')] } });
    return { flow: next, status: 400 };
  }
  await audit(s.db, { tenantId: tenant.id, type: 'password_reset.requested', result: 'success', target: `email:${email.value}` }, { ip: ctx.ip, userAgent: ctx.userAgent });
  if (!(await withinLimits(s, tenant, email.value, ctx))) {
    const next = await moveFlow(s.db, flow, { state: 'identify', data: { ...data, ...display, messages: [msg('error', 'password_reset.throttled')] } });
    return { flow: next, status: 429 };
  }
  const withIdentity: ResetData = { ...data, emailDisplay: email.display, ...(username?.ok ? { username: username.value } : {}) };
  return { flow: await mailCode(s, tenant, flow, withIdentity, email.value, ctx), status: 200 };
}

export async function resendCode(s: Services, tenant: Tenant, flow: FlowRow, ctx: RequestContext): Promise<StepResult> {
  const data = resetData(flow);
  const since = data.codeSentAt ? (Date.now() - Date.parse(data.codeSentAt)) / 1000 : Infinity;
  const wait = Math.ceil(s.config.codes.resendCooldownSeconds - since);
  if (wait > 0) {
    const next = await moveFlow(s.db, flow, { state: 'code_sent', data: { ...data, messages: [msg('error', 'password_reset.resend_wait', { seconds: wait })] } });
    return { flow: next, status: 429 };
  }
  if (!data.email || !(await withinLimits(s, tenant, data.email, ctx))) {
    const next = await moveFlow(s.db, flow, { state: 'code_sent', data: { ...data, messages: [msg('error', 'password_reset.throttled')] } });
    return { flow: next, status: 429 };
  }
  return { flow: await mailCode(s, tenant, flow, data, data.email, ctx), status: 200 };
}

export async function changeEmail(s: Services, flow: FlowRow): Promise<StepResult> {
  const data = resetData(flow);
  await invalidateCodesOfFlow(s.db, flow.id);
  const { email: _e, codeSentAt: _c, ...rest } = data;
  const next = await moveFlow(s.db, flow, { state: 'identify', data: { ...rest, messages: [] } });
  return { flow: next, status: 200 };
}
