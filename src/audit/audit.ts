// The audit log. Every sign-in, reset request, code send, verification failure, lock, reset completion and
// admin change is one row with time, tenant, actor, target, IP, user agent and result. Callers pass only
// identifiers and outcomes: never a password, code or token (the details type has no room for them by name).
import type { Db } from '../store/database.ts';

export interface AuditContext {
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditEvent {
  tenantId: string | null;
  type: string;
  result: 'success' | 'failure';
  actor?: string;
  target?: string;
  details?: Record<string, string | number | boolean | null>;
}

const FORBIDDEN_KEYS = /password|code|token|secret/i;

export async function audit(db: Db, event: AuditEvent, ctx: AuditContext = {}): Promise<void> {
  const details = Object.fromEntries(Object.entries(event.details ?? {}).filter(([k]) => !FORBIDDEN_KEYS.test(k)));
  await db
    .insertInto('audit_events')
    .values({
      tenant_id: event.tenantId,
      type: event.type,
      result: event.result,
      actor: event.actor ?? 'anonymous',
      target: event.target ?? null,
      ip: ctx.ip ?? null,
      user_agent: ctx.userAgent?.slice(0, 512) ?? null,
      details: JSON.stringify(details),
    })
    .execute();
}

export const listAuditEvents = (db: Db, tenantId: string, limit = 100) =>
  db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(limit).execute();
