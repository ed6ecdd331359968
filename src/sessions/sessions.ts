// Browser sessions. The cookie holds a 128-bit random token; the database holds only its SHA-256, so a
// database leak yields no usable session. A session is live while not revoked, not expired and newer than
// the user's sessions_valid_after (set on password change: every older session ends at once).
import { randomToken, sha256 } from '../security/secrets.ts';
import type { Services, RequestContext } from '../services.ts';
import { findLiveSession, insertSession, revokeSession } from '../store/queries/sessions.ts';
import { insertWhere, type Effect } from '../store/guarded-write.ts';

function newSession(s: Services, tenantId: string, userId: string, ctx: RequestContext) {
  const token = randomToken(16);
  const row = {
    id: sha256(token),
    tenant_id: tenantId,
    user_id: userId,
    expires_at: new Date(Date.now() + s.config.sessions.ttlSeconds * 1000),
    ip: ctx.ip,
    user_agent: ctx.userAgent?.slice(0, 512) ?? null,
  };
  return { token, row };
}

export async function createSession(s: Services, tenantId: string, userId: string, ctx: RequestContext): Promise<string> {
  const { token, row } = newSession(s, tenantId, userId, ctx);
  await insertSession(s.db, row);
  return token;
}

/** A new session as an effect of a guarded write (store/guarded-write.ts): it exists only if the step wins. */
export function sessionEffect(s: Services, tenantId: string, userId: string, ctx: RequestContext): { token: string; effect: Effect } {
  const { token, row } = newSession(s, tenantId, userId, ctx);
  const effect = insertWhere('sessions', row, { tenant_id: 'uuid', user_id: 'uuid', expires_at: 'timestamptz' });
  return { token, effect };
}

export async function readSession(s: Services, tenantId: string, token: string | undefined) {
  if (!token || token.length > 64) return undefined;
  const session = await findLiveSession(s.db, sha256(token), tenantId);
  return session && session.account_enabled ? session : undefined;
}

export async function endSession(s: Services, token: string | undefined): Promise<void> {
  if (token && token.length <= 64) await revokeSession(s.db, sha256(token));
}
