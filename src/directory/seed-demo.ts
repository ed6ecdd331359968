// First start: the demo tenant `contoso` (alias contoso.onmicrosoft.com) with the sign-in user flow
// B2C_1_signin and one demo customer, plus the first admin token. Secrets are returned to be printed once;
// only their hashes are stored.
import { randomToken } from '../security/secrets.ts';
import type { Db } from '../store/database.ts';
import type { Hasher } from '../credentials/hasher.ts';
import { listTenants } from '../store/queries/tenants.ts';
import { countAdminTokens, createAdminToken } from '../admin/auth.ts';
import { tenantCreate, userCreate } from '../admin/operations.ts';

export interface SeedResult {
  adminToken?: string;
  demo?: { tenant: string; email: string; password: string };
}

export async function seedOnFirstStart(db: Db, hasher: Hasher, opts: { demo: boolean }): Promise<SeedResult> {
  const result: SeedResult = {};
  // The first server start is the one that finds no admin token yet (CLI commands before it create none).
  if ((await countAdminTokens(db)) > 0) return result;
  result.adminToken = await createAdminToken(db, 'initial-admin');
  if (opts.demo && !(await listTenants(db)).some((t) => t.name === 'contoso')) {
    const actor = { name: 'setup' };
    await tenantCreate({ db, hasher }, actor, { name: 'contoso', displayName: 'Contoso' });
    const email = 'demo@contoso.com';
    // Strong-policy compliant: upper, lower, digit, symbol; 128 random bits.
    const password = `Demo-${randomToken(16)}-7x`;
    await userCreate({ db, hasher }, actor, 'contoso', { email, password, displayName: 'Demo Customer', givenName: 'Demo', surname: 'Customer' });
    result.demo = { tenant: 'contoso', email, password };
  }
  return result;
}
