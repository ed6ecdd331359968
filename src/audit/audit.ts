// The audit log. Every sign-in, reset request, code send, verification failure, lock, reset completion and
// admin change is one row with time, tenant, actor, target, IP, user agent and result. Callers pass only
// identifiers and outcomes: never a password, code or token (the details type has no room for them by name).
import type { Db } from '../store/database.ts';
import { insertWhere, type Effect } from '../store/guarded-write.ts';

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

function auditRow(event: AuditEvent, ctx: AuditContext) {
  const details = Object.fromEntries(Object.entries(event.details ?? {}).filter(([k]) => !FORBIDDEN_KEYS.test(k)));
  return {
    tenant_id: event.tenantId,
    type: event.type,
    result: event.result,
    actor: event.actor ?? 'anonymous',
    target: event.target ?? null,
    ip: ctx.ip ?? null,
    user_agent: ctx.userAgent?.slice(0, 512) ?? null,
    details: JSON.stringify(details),
  };
}

export async function audit(db: Db, event: AuditEvent, ctx: AuditContext = {}): Promise<void> {
  await db.insertInto('audit_events').values(auditRow(event, ctx)).execute();
}

/** The same audit row as an effect of a guarded write (store/guarded-write.ts): recorded only if the step wins. */
export function auditEffect(event: AuditEvent, ctx: AuditContext = {}): Effect {
  return insertWhere('audit_events', auditRow(event, ctx), { tenant_id: 'uuid', details: 'jsonb' });
}

export const listAuditEvents = (db: Db, tenantId: string, limit = 100) =>
  db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(limit).execute();
