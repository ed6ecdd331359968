// Enqueueing mail = inserting one outbox row. It takes a Kysely instance *or* the caller's transaction, so
// "write the code row and the mail" is one atomic step: no mail for a code that was rolled back, no code
// without its mail. Delivery is the dispatcher's job; wake it after the caller commits.
//
// The row holds what the mail is rendered from (template, locale, params), not the rendered bodies (migration
// 007): the dispatcher renders at delivery. Its subject is rendered here, with the same checks as the whole
// mail (templates.ts mailSubject), so a mail that cannot be rendered fails the step that asked for it rather
// than dying in the outbox.
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Locale } from '../i18n/locales.ts';
import type { Database } from '../store/database.ts';
import { mailSubject, type MailParams, type MailTemplate } from './templates.ts';
import { assertSafeRecipient } from './transport.ts';
import { insertWhere, type Effect } from '../store/guarded-write.ts';
import type { HandedMail } from './dispatcher.ts';

const CODE_TEMPLATES: ReadonlySet<MailTemplate> = new Set(['reset_code', 'signup_code']);

export interface MailRequest {
  tenantId: string | null;
  template: MailTemplate;
  recipient: string;
  locale: Locale;
  params: MailParams;
  /** True when the body holds a code or anything else secret: it is scrubbed once delivered. */
  holdsSecret: boolean;
}

function outboxRow(msg: MailRequest) {
  assertSafeRecipient(msg.recipient);
  const subject = mailSubject(msg.template, msg.locale, msg.params);
  return {
    id: randomUUID(),
    tenant_id: msg.tenantId,
    template: msg.template,
    recipient: msg.recipient,
    locale: msg.locale,
    subject,
    params: JSON.stringify(msg.params),
    // A code template always holds a secret, whatever the caller said: forgetting the flag must not keep codes.
    holds_secret: msg.holdsSecret || CODE_TEMPLATES.has(msg.template),
  };
}

export async function enqueueMail(db: Kysely<Database> | Transaction<Database>, msg: MailRequest): Promise<string> {
  const row = outboxRow(msg);
  await db.insertInto('outbox').values(row).execute();
  return row.id;
}

/**
 * The same outbox row as an effect of a guarded write (store/guarded-write.ts): queued only if the step wins.
 * With `leaseMs` (the dispatcher's handoverLease) the row is queued leased to this process's dispatcher, and
 * `handed` is what to hand it once the step committed (mail/dispatcher.ts: no claim needed).
 */
export function mailEffect(msg: MailRequest, leaseMs?: number): { effect: Effect; handed?: HandedMail } {
  const row = outboxRow(msg);
  const types = { id: 'uuid', tenant_id: 'uuid', params: 'jsonb', holds_secret: 'boolean', next_attempt_at: 'timestamptz' };
  if (leaseMs === undefined) return { effect: insertWhere('outbox', row, types) };
  const leasedUntil = Date.now() + leaseMs;
  const { id, template, locale, recipient, subject } = row;
  return {
    effect: insertWhere('outbox', { ...row, next_attempt_at: new Date(leasedUntil) }, types),
    handed: { id, template, locale, recipient, subject, params: msg.params as unknown as Record<string, unknown>, leasedUntil },
  };
}
