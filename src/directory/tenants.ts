// Tenants (directories) and their self-service password reset setting.
import { NyckelError } from '../errors.ts';
import type { Db, TenantSettings } from '../store/database.ts';
import { findGroupByName, findGroupsByIds } from '../store/queries/groups.ts';
import { findTenantByKey, insertTenant, updateTenantSettings } from '../store/queries/tenants.ts';
import { insertUserFlow } from '../store/queries/user-flows.ts';

export type Tenant = NonNullable<Awaited<ReturnType<typeof findTenantByKey>>>;
export type SsprMode = 'none' | 'selected' | 'all';
export interface SsprSetting {
  mode: SsprMode;
  groups: Array<{ id: string; name: string }>;
}

const TENANT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export async function createTenant(db: Db, input: { name: string; displayName?: string }): Promise<Tenant> {
  const name = input.name.trim().toLowerCase().replace(/\.onmicrosoft\.com$/, '');
  if (!TENANT_NAME.test(name)) throw new NyckelError('tenant.name_invalid', 400);
  if (await findTenantByKey(db, name)) throw new NyckelError('tenant.exists', 409);
  // SSPR is off by default, as in B2C: an admin turns it on.
  const tenant = await insertTenant(db, { id: crypto.randomUUID(), name, display_name: input.displayName ?? name, settings: { sspr: { mode: 'none' } } });
  return tenant;
}

/** Every new tenant gets the B2C default sign-in flow so it can be tried at once. */
export async function createDefaultUserFlow(db: Db, tenantId: string) {
  return insertUserFlow(db, { id: crypto.randomUUID(), tenant_id: tenantId, name: 'B2C_1_signin', type: 'signIn', settings: { identityType: 'email', passwordComplexity: 'strong' } });
}

export async function requireTenant(db: Db, key: string): Promise<Tenant> {
  const tenant = await findTenantByKey(db, key);
  if (!tenant) throw new NyckelError('tenant.not_found', 404);
  return tenant;
}

export async function getSspr(db: Db, tenant: Tenant): Promise<SsprSetting> {
  const sspr = tenant.settings.sspr ?? { mode: 'none' };
  const groups = await findGroupsByIds(db, tenant.id, sspr.groupIds ?? []);
  return { mode: sspr.mode, groups: groups.map((g) => ({ id: g.id, name: g.name })) };
}

/** Sets None / Selected (groups by name or id) / All. Selected needs at least one existing group. */
export async function setSspr(db: Db, tenant: Tenant, mode: SsprMode, groupRefs: string[] = []): Promise<SsprSetting> {
  let groupIds: string[] = [];
  if (mode === 'selected') {
    if (groupRefs.length === 0) throw new NyckelError('sspr.groups_required', 400);
    for (const ref of groupRefs) {
      const byId = (await findGroupsByIds(db, tenant.id, [ref].filter((r) => /^[0-9a-f-]{36}$/i.test(r))))[0];
      const group = byId ?? (await findGroupByName(db, tenant.id, ref.trim().toLowerCase()));
      if (!group) throw new NyckelError('group.not_found', 404, { params: { group: ref } });
      groupIds.push(group.id);
    }
    groupIds = [...new Set(groupIds)];
  } else if (groupRefs.length > 0) {
    throw new NyckelError('sspr.groups_only_with_selected', 400);
  }
  const settings: TenantSettings = { ...tenant.settings, sspr: { mode, groupIds } };
  const updated = await updateTenantSettings(db, tenant.id, settings);
  if (!updated) throw new NyckelError('tenant.not_found', 404);
  return getSspr(db, updated);
}
