// Step "Set new password". Only a flow in new_password (verified) gets here; the state change to `done` is a
// compare-and-set inside the same transaction as the password change, so of many parallel submissions exactly
// one changes the password. On success every session and other pending flow of the user ends, a
// "password changed" notice goes to the address stored on the account, and the event is audited.
import type { Tenant } from '../../directory/tenants.ts';
import { checkPassword } from '../../credentials/policy.ts';
import { enqueueMail } from '../../mail/outbox.ts';
import { audit } from '../../audit/audit.ts';
import { isLocale } from '../../i18n/locales.ts';
import { findUserById, replacePassword } from '../../store/queries/users.ts';
import { revokeSessionsOfUser } from '../../store/queries/sessions.ts';
import { expireFlowsOfUser } from '../../store/queries/flows.ts';
import type { RequestContext, Services } from '../../services.ts';
import { msg } from '../common/ui.ts';
import { moveFlow, type FlowRow } from '../common/flow-store.ts';
import { resetData } from './flow.ts';
import { createSession } from '../../sessions/sessions.ts';
import { clearLockouts } from '../sign-in/authenticate.ts';
import type { StepResult } from './handler.ts';

export async function setPassword(
  s: Services,
  tenant: Tenant,
  flow: FlowRow,
  input: { password?: string; confirm_password?: string },
  ctx: RequestContext,
): Promise<StepResult> {
  const data = resetData(flow);
  const user = flow.user_id ? await findUserById(s.db, tenant.id, flow.user_id) : undefined;
  if (!user) return { flow: await moveFlow(s.db, flow, { state: 'unavailable', data: { ...data, messages: [msg('error', 'password_reset.account_not_found')] } }), status: 200 };
  const password = input.password ?? '';
  const fail = async (code: string, params?: Record<string, string | number>) => ({
    flow: await moveFlow(s.db, flow, { state: 'new_password', data: { ...data, messages: [msg('error', code, params)] } }),
    status: 400,
  });
  if (password !== (input.confirm_password ?? '')) return fail('password.mismatch');
  const context = [tenant.name, tenant.display_name, data.email?.split('@')[0] ?? '', data.username ?? ''];
  const check = checkPassword(password, { preset: data.passwordPreset, context });
  if (!check.ok) return fail(check.code, check.params);

  const hash = await s.hasher.hash(password);
  const next = await s.db.transaction().execute(async (tx) => {
    const done = await moveFlow(tx, flow, { state: 'done', data: { ...data, messages: [] } });
    const changed = await replacePassword(tx, user.id, hash);
    await revokeSessionsOfUser(tx, user.id);
    await expireFlowsOfUser(tx, user.id, flow.id);
    for (const hook of s.afterPasswordChange) await hook(tx, user.id, tenant.id);
    if (user.email) {
      await enqueueMail(tx, {
        tenantId: tenant.id,
        template: 'password_changed',
        recipient: user.email,
        locale: data.locale && isLocale(data.locale) ? data.locale : 'en',
        params: {
          tenantName: tenant.display_name,
          time: (changed?.password_changed_at ?? new Date()).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
          ip: ctx.ip,
          resetUrl: new URL(`/${tenant.name}/${data.policy}/password-reset`, s.config.publicUrl).href,
        },
        holdsSecret: false,
      });
    }
    await audit(tx, { tenantId: tenant.id, type: 'password_reset.completed', result: 'success', actor: `user:${user.id}`, target: `user:${user.id}` }, { ip: ctx.ip, userAgent: ctx.userAgent });
    return done;
  });
  // A forgotten password is often what caused the lockout: the proven owner starts afresh.
  await clearLockouts(s, tenant.id, user.id);
  s.mailQueued();
  // Inside an app's sign-in the proven owner continues signed in (a session newer than the change).
  if (data.signInAfter) return { flow: next, status: 200, sessionToken: await createSession(s, tenant.id, user.id, ctx) };
  return { flow: next, status: 200 };
}
