// Admin operations: one function per action, shared by the admin API and the CLI (which runs them
// directly against the database, or through the running server's API). Each change is audited.
import { audit } from '../audit/audit.ts';
import { addUserToGroup, createGroup } from '../directory/groups.ts';
import { createDefaultUserFlow, createTenant, getSspr, requireTenant, setSspr, type SsprMode } from '../directory/tenants.ts';
import { createUser } from '../directory/users.ts';
import type { Db } from '../store/database.ts';
import type { Hasher } from '../credentials/hasher.ts';
import { listTenants } from '../store/queries/tenants.ts';
import { listGroups } from '../store/queries/groups.ts';
import { listUserFlows } from '../store/queries/user-flows.ts';
import { listIdentities } from '../store/queries/users.ts';

export interface AdminDeps {
  db: Db;
  hasher: Hasher;
}

export interface Actor {
  name: string;
  ip?: string | null;
  userAgent?: string | null;
}

const ctxOf = (actor: Actor) => ({ ip: actor.ip ?? null, userAgent: actor.userAgent ?? null });
const tenantView = (t: { id: string; name: string; display_name: string; created_at: Date }) => ({
  id: t.id,
  name: t.name,
  displayName: t.display_name,
  domain: `${t.name}.onmicrosoft.com`,
  createdAt: t.created_at.toISOString(),
});

export async function tenantCreate(d: AdminDeps, actor: Actor, input: { name: string; displayName?: string }) {
  const tenant = await createTenant(d.db, input);
  await createDefaultUserFlow(d.db, tenant.id);
  await audit(d.db, { tenantId: tenant.id, type: 'admin.tenant_created', result: 'success', actor: `admin:${actor.name}`, target: `tenant:${tenant.id}` }, ctxOf(actor));
  return tenantView(tenant);
}

export async function tenantList(d: AdminDeps) {
  return (await listTenants(d.db)).map(tenantView);
}

export async function ssprGet(d: AdminDeps, tenantKey: string) {
  const tenant = await requireTenant(d.db, tenantKey);
  return getSspr(d.db, tenant);
}

export async function ssprSet(d: AdminDeps, actor: Actor, tenantKey: string, input: { mode: SsprMode; groups?: string[] }) {
  const tenant = await requireTenant(d.db, tenantKey);
  const result = await setSspr(d.db, tenant, input.mode, input.groups ?? []);
  await audit(
    d.db,
    { tenantId: tenant.id, type: 'admin.sspr_changed', result: 'success', actor: `admin:${actor.name}`, target: `tenant:${tenant.id}`, details: { mode: result.mode, groups: result.groups.map((g) => g.name).join(',') } },
    ctxOf(actor),
  );
  return result;
}

export interface UserInput {
  email?: string;
  username?: string;
  password?: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  accountEnabled?: boolean;
}

export async function userCreate(d: AdminDeps, actor: Actor, tenantKey: string, input: UserInput) {
  const tenant = await requireTenant(d.db, tenantKey);
  const user = await createUser(d.db, d.hasher, { tenantId: tenant.id, tenantName: tenant.name, ...input });
  await audit(d.db, { tenantId: tenant.id, type: 'admin.user_created', result: 'success', actor: `admin:${actor.name}`, target: `user:${user.id}` }, ctxOf(actor));
  return userView(user, await listIdentities(d.db, user.id));
}

export function userView(
  user: { id: string; display_name: string | null; given_name: string | null; surname: string | null; account_enabled: boolean; email: string | null; created_at: Date },
  identities: Array<{ sign_in_type: string; issuer: string; issuer_assigned_id: string }>,
) {
  return {
    id: user.id,
    displayName: user.display_name,
    givenName: user.given_name,
    surname: user.surname,
    accountEnabled: user.account_enabled,
    mail: user.email,
    createdDateTime: user.created_at.toISOString(),
    identities: identities.map((i) => ({ signInType: i.sign_in_type, issuer: i.issuer, issuerAssignedId: i.issuer_assigned_id })),
  };
}

export async function groupCreate(d: AdminDeps, actor: Actor, tenantKey: string, name: string) {
  const tenant = await requireTenant(d.db, tenantKey);
  const group = await createGroup(d.db, tenant.id, name);
  await audit(d.db, { tenantId: tenant.id, type: 'admin.group_created', result: 'success', actor: `admin:${actor.name}`, target: `group:${group.id}` }, ctxOf(actor));
  return { id: group.id, name: group.name };
}

export async function groupList(d: AdminDeps, tenantKey: string) {
  const tenant = await requireTenant(d.db, tenantKey);
  return (await listGroups(d.db, tenant.id)).map((g) => ({ id: g.id, name: g.name }));
}

export async function groupAdd(d: AdminDeps, actor: Actor, tenantKey: string, group: string, user: string) {
  const tenant = await requireTenant(d.db, tenantKey);
  const result = await addUserToGroup(d.db, tenant.id, group, user);
  await audit(d.db, { tenantId: tenant.id, type: 'admin.group_member_added', result: 'success', actor: `admin:${actor.name}`, target: `user:${result.user.id}`, details: { group: result.group.name } }, ctxOf(actor));
  return { group: { id: result.group.id, name: result.group.name }, userId: result.user.id };
}

export async function userFlowList(d: AdminDeps, tenantKey: string) {
  const tenant = await requireTenant(d.db, tenantKey);
  return (await listUserFlows(d.db, tenant.id)).map((f) => ({ id: f.id, name: f.name, type: f.type, settings: f.settings }));
}
