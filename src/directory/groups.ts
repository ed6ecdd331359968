import { NyckelError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import { addMember, findGroupByName, insertGroup } from '../store/queries/groups.ts';
import { findUserByIdentity, findUserById } from '../store/queries/users.ts';
import { canonicaliseEmail, canonicaliseName, canonicaliseUsername } from './canonicalise.ts';

export async function createGroup(db: Db, tenantId: string, name: string) {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 128) throw new NyckelError('group.name_invalid', 400);
  const canonical = canonicaliseName(trimmed);
  if (await findGroupByName(db, tenantId, canonical)) throw new NyckelError('group.exists', 409);
  return insertGroup(db, { id: crypto.randomUUID(), tenant_id: tenantId, name: trimmed, canonical_name: canonical });
}

/** Finds a user by object id, email or username. */
export async function findUserByRef(db: Db, tenantId: string, ref: string) {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) return findUserById(db, tenantId, ref.toLowerCase());
  const email = canonicaliseEmail(ref);
  if (email.ok) return findUserByIdentity(db, tenantId, 'emailAddress', email.value);
  const username = canonicaliseUsername(ref);
  if (username.ok) return findUserByIdentity(db, tenantId, 'userName', username.value);
  return undefined;
}

export async function addUserToGroup(db: Db, tenantId: string, groupName: string, userRef: string) {
  const group = await findGroupByName(db, tenantId, canonicaliseName(groupName));
  if (!group) throw new NyckelError('group.not_found', 404, { params: { group: groupName } });
  const user = await findUserByRef(db, tenantId, userRef);
  if (!user) throw new NyckelError('user.not_found', 404);
  await addMember(db, group.id, user.id);
  return { group, user };
}
