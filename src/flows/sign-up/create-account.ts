// Step "Create": only a flow in `details` (mailbox proven) gets here. The user row, its identities, the move
// to `done` and the audit event are one transaction, so the account exists exactly when the flow says so:
// of parallel submissions of one flow exactly one wins the compare-and-set on the flow, and of parallel
// sign-ups for one address exactly one wins the unique index on identities — the others get B2C's
// "A user with the specified ID already exists", never a 500 and never a second account.
import { NyckelError } from '../../errors.ts';
import type { Tenant } from '../../directory/tenants.ts';
import { canonicaliseEmail } from '../../directory/canonicalise.ts';
import { createUser } from '../../directory/users.ts';
import { checkPassword } from '../../credentials/policy.ts';
import { audit } from '../../audit/audit.ts';
import { createSession } from '../../sessions/sessions.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg, type UiMessage } from '../common/ui.ts';
import { moveFlow, type FlowRow } from '../common/flow-store.ts';
import type { StepResult } from '../common/step.ts';
import { PROFILE_FIELDS, signUpData, type Profile, type SignUpData } from './flow.ts';
import { backToIdentify } from './verify-code.ts';

export type AccountInput = Profile & { password?: string; confirm_password?: string };

/** The address as typed, for display, but only when it is the very mailbox that was proven. */
function provenEmail(data: SignUpData & { email: string }): string {
  const typed = data.emailDisplay ? canonicaliseEmail(data.emailDisplay) : undefined;
  return typed?.ok && typed.value === data.email && data.emailDisplay ? data.emailDisplay : data.email;
}

export async function createAccount(s: Services, tenant: Tenant, flow: FlowRow, input: AccountInput, ctx: RequestContext): Promise<StepResult> {
  const data = signUpData(flow);
  const email = data.email;
  if (!email) throw new NyckelError('flow.action_not_allowed', 409);
  const profile: Profile = Object.fromEntries(PROFILE_FIELDS.map((f) => [f, (input[f] ?? '').trim().normalize('NFC')]));
  const missing = PROFILE_FIELDS.filter((f) => !profile[f]);
  const stay = async (message: UiMessage): Promise<StepResult> => ({
    flow: await moveFlow(s.db, flow, { state: 'details', data: { ...data, profile, missing, messages: [message] } }),
    status: 400,
  });
  if (missing.length > 0) return stay(msg('error', 'sign_up.missing_fields'));
  const password = input.password ?? '';
  if (password !== (input.confirm_password ?? '')) return stay(msg('error', 'password.mismatch'));
  // Same policy as a reset; the context words also cover the names typed on this very form.
  const context = [tenant.name, tenant.display_name, email, data.username ?? '', ...Object.values(profile)];
  const check = checkPassword(password, { preset: data.passwordPreset, ...(data.customPolicy ? { custom: data.customPolicy } : {}), context });
  if (!check.ok) return stay(msg('error', check.code, check.params));

  // Hashed before the transaction: the slow part must not hold a database connection or a lock.
  const passwordHash = await s.hasher.hash(password);
  const auditCtx = { ip: ctx.ip, userAgent: ctx.userAgent };
  const { profile: _p, missing: _m, ...rest } = data;
  let created;
  try {
    created = await s.db.transaction().execute(async (tx) => {
      const user = await createUser(tx, s.hasher, {
        tenantId: tenant.id,
        tenantName: tenant.name,
        email: provenEmail({ ...data, email }),
        ...(data.username ? { username: data.username } : {}),
        passwordHash,
        displayName: profile.display_name ?? '',
        givenName: profile.given_name ?? '',
        surname: profile.surname ?? '',
        emailVerified: true,
      });
      // The profile is on the account now; the flow row keeps no more personal data than it needs.
      const done = await moveFlow(tx, flow, { state: 'done', data: { ...rest, messages: [] }, userId: user.id });
      await audit(tx, { tenantId: tenant.id, type: 'sign_up.completed', result: 'success', actor: `user:${user.id}`, target: `user:${user.id}`, details: { policy: data.policy } }, auditCtx);
      return { user, done };
    });
  } catch (err) {
    if (!(err instanceof NyckelError && err.code === 'user.identifier_taken')) throw err;
    // Safe to say: the mailbox is proven. A parallel submission of this same flow lands on flow.conflict here.
    const step = await backToIdentify(s, flow, { ...data, profile });
    await audit(s.db, { tenantId: tenant.id, type: 'sign_up.rejected', result: 'failure', target: `email:${email}`, details: { reason: 'user_exists' } }, auditCtx);
    return step;
  }
  const sessionToken = await createSession(s, tenant.id, created.user.id, ctx);
  return { flow: created.done, status: 200, sessionToken };
}
