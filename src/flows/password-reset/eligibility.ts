// Who may reset: decided only after the mailbox is proven, so the answer leaks nothing to a stranger.
import type { Db } from '../../store/database.ts';
import type { Tenant } from '../../directory/tenants.ts';
import { isMemberOfAny } from '../../store/queries/groups.ts';
import { findUserByIdentity, type UserRow } from '../../store/queries/users.ts';

export type Eligibility =
  | { status: 'eligible'; user: UserRow }
  | { status: 'account_not_found' }
  | { status: 'not_enabled' }
  | { status: 'account_disabled' };

/**
 * Email flows: the account whose email identity is exactly the verified canonical address.
 * Username flows: the account with that username whose stored email is exactly the verified address
 * (both must match, as in B2C); a mismatch is indistinguishable from "no account".
 */
export async function findEligibleAccount(db: Db, tenant: Tenant, input: { email: string; username?: string }): Promise<Eligibility> {
  const user = input.username
    ? await findUserByIdentity(db, tenant.id, 'userName', input.username)
    : await findUserByIdentity(db, tenant.id, 'emailAddress', input.email);
  if (!user || (input.username && user.email !== input.email)) return { status: 'account_not_found' };
  const sspr = tenant.settings.sspr ?? { mode: 'none' };
  if (sspr.mode === 'none') return { status: 'not_enabled' };
  if (sspr.mode === 'selected' && !(await isMemberOfAny(db, user.id, sspr.groupIds ?? []))) return { status: 'not_enabled' };
  if (!user.account_enabled) return { status: 'account_disabled' };
  return { status: 'eligible', user };
}
