// Local accounts: a user with email and/or username identities and a password.
import { NyckelError } from '../errors.ts';
import type { Hasher } from '../credentials/hasher.ts';
import type { Db, SignInType } from '../store/database.ts';
import { findUserByIdentity, insertUser } from '../store/queries/users.ts';
import { canonicaliseEmail, canonicaliseUsername } from './canonicalise.ts';

export interface NewUser {
  tenantId: string;
  tenantName: string;
  email?: string;
  username?: string;
  password?: string;
  /** A hash the caller already made, so that no hashing happens inside the caller's transaction. */
  passwordHash?: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  emailVerified?: boolean;
  accountEnabled?: boolean;
}

export async function createUser(db: Db, hasher: Hasher, input: NewUser) {
  if (!input.email && !input.username) throw new NyckelError('user.identifier_required', 400);
  const identities: Array<{ sign_in_type: SignInType; issuer: string; issuer_assigned_id: string; canonical_id: string }> = [];
  const issuer = `${input.tenantName}.onmicrosoft.com`;
  let email: string | null = null;
  if (input.email !== undefined) {
    const c = canonicaliseEmail(input.email);
    if (!c.ok) throw new NyckelError(c.code, 400);
    email = c.value;
    identities.push({ sign_in_type: 'emailAddress', issuer, issuer_assigned_id: c.display, canonical_id: c.value });
  }
  if (input.username !== undefined) {
    const c = canonicaliseUsername(input.username);
    if (!c.ok) throw new NyckelError(c.code, 400);
    identities.push({ sign_in_type: 'userName', issuer, issuer_assigned_id: c.display, canonical_id: c.value });
  }
  for (const identity of identities) {
    if (await findUserByIdentity(db, input.tenantId, identity.sign_in_type, identity.canonical_id)) throw new NyckelError('user.identifier_taken', 409);
  }
  const passwordHash = input.passwordHash ?? (input.password !== undefined ? await hasher.hash(input.password) : null);
  try {
    return await insertUser(
      db,
      {
        id: crypto.randomUUID(),
        tenant_id: input.tenantId,
        display_name: input.displayName ?? null,
        given_name: input.givenName ?? null,
        surname: input.surname ?? null,
        email,
        email_verified: input.emailVerified ?? email !== null,
        password_hash: passwordHash,
        account_enabled: input.accountEnabled ?? true,
      },
      identities,
    );
  } catch (err) {
    // A concurrent insert of the same identifier loses on the unique index.
    if ((err as { code?: string }).code === '23505') throw new NyckelError('user.identifier_taken', 409);
    throw err;
  }
}
