// Steps "Send verification code", "Send new code" and "Change e-mail", shared by every flow that proves a
// mailbox (password reset, sign-up). B2C's model: the code goes to any well-formed address and no account is
// read until the mailbox is proven, so these steps do identical work, answer identically and take comparable
// time for existing and unknown addresses (SECURITY.md "Requesting a reset"). Flows using them name their
// states `identify` and `code_sent`; texts are `${purpose}.code_sent` and so on.
import { canonicaliseEmail, canonicaliseUsername } from '../../directory/canonicalise.ts';
import type { Tenant } from '../../directory/tenants.ts';
import { prepareCode } from '../../codes/codes.ts';
import { mailEffect } from '../../mail/outbox.ts';
import type { MailTemplate } from '../../mail/templates.ts';
import { auditEffect } from '../../audit/audit.ts';
import type { Effect } from '../../store/guarded-write.ts';
import { isLocale } from '../../i18n/locales.ts';
import { invalidateCodesOfFlow } from '../../store/queries/verification-codes.ts';
import type { RequestContext, Services } from '../../services.ts';
import type { LimitCharge, LimitResult } from '../../limits/limiter.ts';
import { msg, type UiMessage } from './ui.ts';
import { moveFlow, moveFlowSpendingWith, moveFlowWith, StartAgain, type FlowRow } from './flow-store.ts';
import type { StepResult } from './step.ts';

/** What differs between flows that prove a mailbox. */
export interface MailboxProof {
  /** Code purpose, and prefix of the flow's audit types and message codes. */
  purpose: 'password_reset' | 'sign_up';
  template: Extract<MailTemplate, 'reset_code' | 'signup_code'>;
}

/** The part of a flow's data these steps read and write. */
export interface MailboxData {
  identityType: 'email' | 'username';
  locale?: string;
  /** Canonical address the current code went to (the mailbox being proven). */
  email?: string;
  /** As typed (NFC), for display only. */
  emailDisplay?: string;
  username?: string;
  codeSentAt?: string;
  messages?: UiMessage[];
}

const mailboxData = (flow: FlowRow) => flow.data as unknown as MailboxData;

/**
 * Both limits are spent for every request in the same order, so throttling looks the same for any address.
 * They are shared by reset and sign-up: alternating flows does not raise what one IP or address can be sent.
 */
const codeCharges = (s: Services, tenantId: string, address: string, ctx: RequestContext): LimitCharge[] => [
  [s.limits.resetRequestsPerIp, `${tenantId}:${ctx.ip}`],
  [s.limits.codesPerAddress, `${tenantId}:${address}`],
];

/**
 * What a submission will spend if it is "Send verification code", known before its flow is read: the routes
 * hand it to sendCode to spend in the step's statement when they hold the flow in memory (waiting-flows.ts),
 * else spend it as they read the flow (flow-store.ts, loadFlowSpending) and hand sendCode the results.
 * Undefined for other actions, and when the address is not well-formed (nothing is spent: the step only
 * answers email.invalid).
 */
export function sendCodeCharges(s: Services, tenantId: string, body: { action: string; email?: string | undefined }, ctx: RequestContext): LimitCharge[] | undefined {
  if (body.action !== 'send_code') return undefined;
  const canonical = canonicaliseEmail(body.email ?? '');
  return canonical.ok ? codeCharges(s, tenantId, canonical.value, ctx) : undefined;
}

/**
 * How "Send verification code" gets its limits spent: the results, when the routes spent them as they read the
 * flow; `inStep`, when the flow came from memory (waiting-flows.ts) and the step spends them in its own statement.
 */
export type CodeSpending = readonly LimitResult[] | { inStep: readonly LimitCharge[] };

/** One step (one statement on PostgreSQL); `spent`: the results when the routes spent them already. */
async function withinLimits(s: Services, tenant: Tenant, address: string, ctx: RequestContext, spent?: readonly LimitResult[]): Promise<boolean> {
  const results = spent && spent.length > 0 ? spent : await s.limits.consumeAll(codeCharges(s, tenant.id, address, ctx));
  return results.every((r) => r.ok);
}

/**
 * The code, its mail, the flow's move to `code_sent` and the audit rows in ONE statement (a guarded write):
 * atomic — no mail for a code that was not stored, nothing at all when a parallel request moved the flow —
 * and one database round trip, which is what a reset request costs most. The steps of this file commit
 * asynchronously (store/guarded-write.ts, Durability): a crash may undo one whole, never half of one, and
 * never one whose mail went out; the customer then asks again. "Change e-mail" stays durable: it ends a code.
 * `inStep`: the limits are spent in that same statement, and nothing else is written unless they pass.
 */
async function mailCode(s: Services, tenant: Tenant, flow: FlowRow, proof: MailboxProof, data: MailboxData, address: string, ctx: RequestContext, requested?: Effect, inStep?: readonly LimitCharge[]): Promise<FlowRow> {
  const { code, effects } = prepareCode(s.keys, {
    tenantId: tenant.id,
    flowId: flow.id,
    purpose: proof.purpose,
    address,
    ttlSeconds: s.config.codes.ttlSeconds,
    maxAttempts: s.config.codes.maxAttempts,
  });
  // Queued leased to this process's mail dispatcher when it takes handovers, and handed to it after the step.
  const { effect: mail, handed } = mailEffect(
    {
      tenantId: tenant.id,
      template: proof.template,
      recipient: address,
      locale: data.locale && isLocale(data.locale) ? data.locale : 'en',
      params: { tenantName: tenant.display_name, code, minutes: Math.round(s.config.codes.ttlSeconds / 60) },
      holdsSecret: true,
    },
    s.mailLease(),
  );
  const sent = auditEffect({ tenantId: tenant.id, type: `${proof.purpose}.code_sent`, result: 'success', target: `email:${address}`, details: { flow: flow.id } }, { ip: ctx.ip, userAgent: ctx.userAgent });
  const to = { state: 'code_sent', data: { ...data, email: address, codeSentAt: new Date().toISOString(), messages: [msg('info', `${proof.purpose}.code_sent`)] } };
  const writes = [...(requested ? [requested] : []), ...effects, mail, sent];
  const next = inStep ? await moveFlowSpendingWith(s, flow, to, writes, inStep, 'async') : await moveFlowWith(s.db, flow, to, writes, 'async');
  s.mailQueued(handed ? [handed] : undefined);
  return next;
}

/**
 * `spending`: what the routes spent for `sendCodeCharges` of this input as they read the flow, or the charges
 * to spend in the step's statement. In that case a step that cannot move the flow (a charge refused, the flow
 * moved meanwhile, an input the step answers without a code) throws StartAgain: the routes then read the flow
 * and run the step again with what was spent, so it ends exactly as it would have from a read.
 */
export async function sendCode(s: Services, tenant: Tenant, flow: FlowRow, proof: MailboxProof, input: { email?: string; username?: string }, ctx: RequestContext, spending?: CodeSpending): Promise<StepResult> {
  const data = mailboxData(flow);
  const email = canonicaliseEmail(input.email ?? '');
  const username = data.identityType === 'username' ? canonicaliseUsername(input.username ?? '') : undefined;
  const display = { emailDisplay: (input.email ?? '').slice(0, 254), ...(data.identityType === 'username' ? { username: (input.username ?? '').slice(0, 64) } : {}) };
  const invalid = !email.ok ? email.code : username && !username.ok ? username.code : undefined;
  const inStep = spending && 'inStep' in spending ? spending.inStep : undefined;
  const spent = spending && !('inStep' in spending) ? spending : undefined;
  if (inStep && (invalid || !email.ok)) throw new StartAgain(undefined);
  if (invalid || !email.ok) {
    const next = await moveFlow(s.db, flow, { state: 'identify', data: { ...data, ...display, messages: [msg('error', invalid ?? 'email.invalid')] } }, 'async');
    return { flow: next, status: 400 };
  }
  // Recorded whether or not the limits allow a code; written with the step's own move either way.
  const requested = auditEffect({ tenantId: tenant.id, type: `${proof.purpose}.requested`, result: 'success', target: `email:${email.value}` }, { ip: ctx.ip, userAgent: ctx.userAgent });
  if (!inStep && !(await withinLimits(s, tenant, email.value, ctx, spent))) {
    const next = await moveFlowWith(s.db, flow, { state: 'identify', data: { ...data, ...display, messages: [msg('error', `${proof.purpose}.throttled`)] } }, [requested], 'async');
    return { flow: next, status: 429 };
  }
  const withIdentity: MailboxData = { ...data, emailDisplay: email.display, ...(username?.ok ? { username: username.value } : {}) };
  return { flow: await mailCode(s, tenant, flow, proof, withIdentity, email.value, ctx, requested, inStep), status: 200 };
}

export async function resendCode(s: Services, tenant: Tenant, flow: FlowRow, proof: MailboxProof, ctx: RequestContext): Promise<StepResult> {
  const data = mailboxData(flow);
  const since = data.codeSentAt ? (Date.now() - Date.parse(data.codeSentAt)) / 1000 : Infinity;
  const wait = Math.ceil(s.config.codes.resendCooldownSeconds - since);
  if (wait > 0) {
    const next = await moveFlow(s.db, flow, { state: 'code_sent', data: { ...data, messages: [msg('error', `${proof.purpose}.resend_wait`, { seconds: wait })] } }, 'async');
    return { flow: next, status: 429 };
  }
  if (!data.email || !(await withinLimits(s, tenant, data.email, ctx))) {
    const next = await moveFlow(s.db, flow, { state: 'code_sent', data: { ...data, messages: [msg('error', `${proof.purpose}.throttled`)] } }, 'async');
    return { flow: next, status: 429 };
  }
  return { flow: await mailCode(s, tenant, flow, proof, data, data.email, ctx), status: 200 };
}

/** Back to the first step: the code dies and the flow forgets the address, proven or not. */
export async function changeEmail(s: Services, flow: FlowRow): Promise<StepResult> {
  const data = mailboxData(flow);
  await invalidateCodesOfFlow(s.db, flow.id);
  const { email: _e, codeSentAt: _c, ...rest } = data;
  const next = await moveFlow(s.db, flow, { state: 'identify', data: { ...rest, messages: [] } });
  return { flow: next, status: 200 };
}
