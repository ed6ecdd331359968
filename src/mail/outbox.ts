// Enqueueing mail = inserting one rendered outbox row. It takes a Kysely instance *or* the caller's
// transaction, so "write the code row and the mail" is one atomic step: no mail for a code that was rolled
// back, no code without its mail. Delivery is the dispatcher's job; wake it after the caller commits.
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Locale } from '../i18n/locales.ts';
import type { Database } from '../store/database.ts';
import { renderMail, type MailParams, type MailTemplate } from './templates.ts';
import { assertSafeRecipient } from './transport.ts';
import { insertWhere, type Effect } from '../store/guarded-write.ts';

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
  const { subject, text, html } = renderMail(msg.template, msg.locale, msg.params);
  return {
    id: randomUUID(),
    tenant_id: msg.tenantId,
    template: msg.template,
    recipient: msg.recipient,
    locale: msg.locale,
    subject,
    body_text: text,
    body_html: html,
    // A code template always holds a secret, whatever the caller said: forgetting the flag must not keep codes.
    holds_secret: msg.holdsSecret || CODE_TEMPLATES.has(msg.template),
  };
}

export async function enqueueMail(db: Kysely<Database> | Transaction<Database>, msg: MailRequest): Promise<string> {
  const row = outboxRow(msg);
  await db.insertInto('outbox').values(row).execute();
  return row.id;
}

/** The same outbox row as an effect of a guarded write (store/guarded-write.ts): queued only if the step wins. */
export function mailEffect(msg: MailRequest): Effect {
  return insertWhere('outbox', outboxRow(msg), { id: 'uuid', tenant_id: 'uuid', holds_secret: 'boolean' });
}
