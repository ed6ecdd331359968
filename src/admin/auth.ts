// Admin API authentication: a bearer token that is either an admin token (stored as SHA-256 only) or the
// per-process local token the running server writes into its data directory for the CLI.
import type { FastifyRequest } from 'fastify';
import { NyckelError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import { randomToken, safeEqual, sha256 } from '../security/secrets.ts';

export async function createAdminToken(db: Db, name: string): Promise<string> {
  const token = `nyk_${randomToken(24)}`;
  await db.insertInto('admin_tokens').values({ id: crypto.randomUUID(), name, token_hash: sha256(token) }).execute();
  return token;
}

export const countAdminTokens = async (db: Db) =>
  Number((await db.selectFrom('admin_tokens').select((eb) => eb.fn.countAll<string>().as('n')).where('revoked_at', 'is', null).executeTakeFirstOrThrow()).n);

export async function authenticateAdmin(db: Db, req: FastifyRequest, localToken: string | undefined): Promise<{ name: string }> {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header) : null;
  if (!match?.[1]) throw new NyckelError('admin.unauthorized', 401);
  const token = match[1];
  if (localToken && safeEqual(token, localToken)) return { name: 'local-cli' };
  const row = await db.selectFrom('admin_tokens').select('name').where('token_hash', '=', sha256(token)).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) throw new NyckelError('admin.unauthorized', 401);
  return { name: row.name };
}
