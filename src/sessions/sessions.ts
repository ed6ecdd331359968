// Browser sessions. The cookie holds a 128-bit random token; the database holds only its SHA-256, so a
// database leak yields no usable session. A session is live while not revoked, not expired and newer than
// the user's sessions_valid_after (set on password change: every older session ends at once).
import { randomToken, sha256 } from '../security/secrets.ts';
import type { Services, RequestContext } from '../services.ts';
import { findLiveSession, insertSession, revokeSession } from '../store/queries/sessions.ts';

export async function createSession(s: Services, tenantId: string, userId: string, ctx: RequestContext): Promise<string> {
  const token = randomToken(16);
  await insertSession(s.db, {
    id: sha256(token),
    tenant_id: tenantId,
    user_id: userId,
    expires_at: new Date(Date.now() + s.config.sessions.ttlSeconds * 1000),
    ip: ctx.ip,
    user_agent: ctx.userAgent?.slice(0, 512) ?? null,
  });
  return token;
}

export async function readSession(s: Services, tenantId: string, token: string | undefined) {
  if (!token || token.length > 64) return undefined;
  const session = await findLiveSession(s.db, sha256(token), tenantId);
  return session && session.account_enabled ? session : undefined;
}

export async function endSession(s: Services, token: string | undefined): Promise<void> {
  if (token && token.length <= 64) await revokeSession(s.db, sha256(token));
}
