// Resolves `/{tenant}/{policy}` (tenant by name, alias or id; policy case-insensitive) for hosted pages.
import { NyckelError } from '../errors.ts';
import type { Tenant } from '../directory/tenants.ts';
import type { Db, UserFlowSettings } from '../store/database.ts';
import { findTenantByKey } from '../store/queries/tenants.ts';
import { findUserFlow } from '../store/queries/user-flows.ts';
import { cachedConfig } from '../directory/config-cache.ts';
import type { PasswordPreset } from '../credentials/policy.ts';

export type UserFlow = NonNullable<Awaited<ReturnType<typeof findUserFlow>>>;

export interface PolicyContext {
  tenant: Tenant;
  userFlow: UserFlow;
  settings: Required<Pick<UserFlowSettings, 'identityType' | 'passwordComplexity'>> & UserFlowSettings;
}

const SEGMENT = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Tenant and user flow of a hosted-page URL. Served from a short-lived cache (directory/config-cache.ts): this
 * runs on every hosted-page request, and both change only through admin actions, which invalidate it.
 */
export async function resolvePolicy(db: Db, params: unknown): Promise<PolicyContext> {
  const { tenant: tenantKey, policy } = (params ?? {}) as { tenant?: string; policy?: string };
  if (typeof tenantKey !== 'string' || !SEGMENT.test(tenantKey)) throw new NyckelError('tenant.not_found', 404);
  if (typeof policy !== 'string' || !SEGMENT.test(policy)) throw new NyckelError('policy.not_found', 404);
  const { tenant, userFlow } = await cachedConfig(db, `policy:${tenantKey.toLowerCase()}/${policy.toLowerCase()}`, async () => {
    const tenant = await findTenantByKey(db, tenantKey);
    return { tenant, userFlow: tenant ? await findUserFlow(db, tenant.id, policy) : undefined };
  });
  if (!tenant) throw new NyckelError('tenant.not_found', 404);
  if (!userFlow) throw new NyckelError('policy.not_found', 404);
  const settings = { identityType: 'email' as const, passwordComplexity: 'strong' as PasswordPreset, ...userFlow.settings };
  return { tenant, userFlow, settings };
}

export const policyPath = (ctx: PolicyContext, rest: string) => `/${ctx.tenant.name}/${ctx.userFlow.name}/${rest}`;

/** Where an OIDC interaction continues once the browser has a session (served by oidc/). */
export const interactionCompletePath = (ctx: PolicyContext, uid: string) => policyPath(ctx, `interaction/${uid}/complete`);
