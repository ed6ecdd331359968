// Local-account sign-in. One generic answer for unknown account and wrong password; an unknown account
// costs a dummy hash so timing does not tell them apart. Failures are throttled per account and per IP
// (B2C-like lockout); a lock is checked before the password so a locked account cannot be probed.
import { canonicalise, type IdentifierKind } from '../../directory/canonicalise.ts';
import type { Tenant } from '../../directory/tenants.ts';
import { audit, auditEffect } from '../../audit/audit.ts';
import type { Effect } from '../../store/guarded-write.ts';
import { findUserByIdentity, updatePasswordHash, type UserRow } from '../../store/queries/users.ts';
import { readSignInSubmission } from '../../store/queries/sign-in.ts';
import type { FlowRow } from '../../store/queries/flows.ts';
import type { LimitCharge, LimitResult } from '../../limits/limiter.ts';
import type { RequestContext, Services } from '../../services.ts';

export type AuthResult =
  /** `succeeded` is the audit row for the caller to write with its own step (one statement, see handler.ts). */
  | { status: 'ok'; user: UserRow; succeeded: Effect }
  | { status: 'invalid' }
  | { status: 'locked'; retryAfterSeconds: number }
  | { status: 'disabled' };

export const accountLimitKey = (tenantId: string, userIdOrIdentifier: string) => `${tenantId}:${userIdOrIdentifier}`;

/** Lifts an account's lockout and forgets its lockouts (after the owner proved the mailbox and reset). */
export async function clearLockouts(s: Services, tenantId: string, userId: string): Promise<void> {
  const key = accountLimitKey(tenantId, userId);
  await s.limits.signInFailuresPerAccount.reset(key);
  await s.limits.signInLockoutsPerAccount.reset(key);
}

/** The account an identifier names and the lockouts that apply to it, read before any password is checked. */
export interface SignInSubject {
  kind: IdentifierKind;
  identifier: string;
  canonical: ReturnType<typeof canonicalise>;
  user: UserRow | undefined;
  /** The account's lockout state, then the client IP's. */
  lockouts: readonly [LimitResult | undefined, LimitResult | undefined];
}

/** The counter key of an identifier that names no account (so unknown identifiers are throttled too). */
const unknownAccount = (canonical: ReturnType<typeof canonicalise>, identifier: string) => `unknown:${canonical.ok ? canonical.value : identifier.slice(0, 100)}`;
const ipLimitKey = (tenantId: string, ctx: RequestContext) => `${tenantId}:${ctx.ip}`;

/**
 * Reads a sign-in submission's flow and its subject in one statement (store/queries/sign-in.ts); with rate
 * limits in Redis or memory the lockouts are then read from there.
 */
export async function readSubmission(
  s: Services,
  tenant: Tenant,
  flowId: string,
  kind: IdentifierKind,
  identifier: string,
  ctx: RequestContext,
): Promise<{ flow: FlowRow | undefined; subject: SignInSubject }> {
  const canonical = canonicalise(kind, identifier);
  const counters = s.limits.inDatabase;
  const ipKey = ipLimitKey(tenant.id, ctx);
  const now = Date.now();
  const read = await readSignInSubmission(s.db, {
    flowId,
    tenantId: tenant.id,
    signInType: kind === 'email' ? 'emailAddress' : 'userName',
    canonicalId: canonical.ok ? canonical.value : undefined,
    ...(counters
      ? {
          counters: {
            accountKeyPrefix: counters.storedKey(s.limits.signInFailuresPerAccount, accountLimitKey(tenant.id, '')),
            unknownAccount: unknownAccount(canonical, identifier),
            otherKeys: [counters.storedKey(s.limits.signInFailuresPerIp, ipKey)],
            now,
          },
        }
      : {}),
  });
  const charges: LimitCharge[] = [
    [s.limits.signInFailuresPerAccount, accountLimitKey(tenant.id, read.user?.id ?? unknownAccount(canonical, identifier))],
    [s.limits.signInFailuresPerIp, ipKey],
  ];
  const [acct, ip] = counters ? counters.check(charges, read.counters, now) : await s.limits.checkAll(charges);
  return { flow: read.flow, subject: { kind, identifier, canonical, user: read.user, lockouts: [acct, ip] } };
}

/**
 * Checks the password of the account `identifier` names. `read` is that account and its lockouts when the
 * caller has read them already (readSubmission), for this same kind and identifier; otherwise they are read here.
 */
export async function authenticate(
  s: Services,
  tenant: Tenant,
  kind: IdentifierKind,
  identifier: string,
  password: string,
  ctx: RequestContext,
  read?: SignInSubject,
): Promise<AuthResult> {
  const preread = read && read.kind === kind && read.identifier === identifier ? read : undefined;
  const canonical = preread ? preread.canonical : canonicalise(kind, identifier);
  const user = preread ? preread.user : canonical.ok ? await findUserByIdentity(s.db, tenant.id, kind === 'email' ? 'emailAddress' : 'userName', canonical.value) : undefined;
  const acctKey = accountLimitKey(tenant.id, user?.id ?? unknownAccount(canonical, identifier));
  const ipKey = ipLimitKey(tenant.id, ctx);
  const auditCtx = { ip: ctx.ip, userAgent: ctx.userAgent };
  const target = user ? `user:${user.id}` : `identifier:${canonical.ok ? canonical.value : 'invalid'}`;

  // Both lockouts read in one step (on PostgreSQL: one statement, or along with the account), before any
  // password is checked.
  const [acctState, ipState] = preread
    ? preread.lockouts
    : await s.limits.checkAll([
        [s.limits.signInFailuresPerAccount, acctKey],
        [s.limits.signInFailuresPerIp, ipKey],
      ]);
  for (const state of [acctState, ipState]) {
    if (state && !state.ok) {
      await audit(s.db, { tenantId: tenant.id, type: 'sign_in.locked', result: 'failure', target }, auditCtx);
      return { status: 'locked', retryAfterSeconds: state.retryAfterSeconds };
    }
  }

  const verified = user?.password_hash ? await s.hasher.verify(user.password_hash, password) : (await s.hasher.verifyDummy(password), { ok: false, needsRehash: false });
  if (!user || !verified.ok) {
    await s.limits.signInFailuresPerIp.consume(ipKey);
    const acct = await s.limits.signInFailuresPerAccount.consume(acctKey);
    await audit(s.db, { tenantId: tenant.id, type: 'sign_in.failed', result: 'failure', target, details: { reason: 'invalid_credentials' } }, auditCtx);
    if (acct.ok && acct.remaining === 0) {
      // This failure used the last attempt: the account locks now, for longer with each lockout in 24 hours.
      const locks = await s.limits.signInLockoutsPerAccount.consume(acctKey);
      const seconds = s.limits.lockoutSeconds(locks.ok ? s.limits.signInLockoutsPerAccount.spec.points - locks.remaining : Infinity);
      await s.limits.signInFailuresPerAccount.block(acctKey, seconds);
      await audit(s.db, { tenantId: tenant.id, type: 'sign_in.locked', result: 'failure', target, details: { seconds } }, auditCtx);
    } else if (!acct.ok) await audit(s.db, { tenantId: tenant.id, type: 'sign_in.locked', result: 'failure', target }, auditCtx);
    return { status: 'invalid' };
  }
  if (!user.account_enabled) {
    await audit(s.db, { tenantId: tenant.id, type: 'sign_in.failed', result: 'failure', target, details: { reason: 'account_disabled' } }, auditCtx);
    return { status: 'disabled' };
  }
  // A success clears the account's failure count; with no failures counted there is nothing to clear.
  if (acctState?.ok && acctState.remaining < s.limits.signInFailuresPerAccount.spec.points) await s.limits.signInFailuresPerAccount.reset(acctKey);
  // Imported (bcrypt/scrypt/PBKDF2) or outdated hashes are upgraded to argon2id on the next good sign-in.
  if (verified.needsRehash) await updatePasswordHash(s.db, user.id, await s.hasher.hash(password));
  const succeeded = auditEffect({ tenantId: tenant.id, type: 'sign_in.succeeded', result: 'success', actor: `user:${user.id}`, target }, auditCtx);
  return { status: 'ok', user, succeeded };
}
