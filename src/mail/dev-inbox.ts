// The dev inbox: the embedded default when no SMTP server is configured, so a newcomer can finish a password
// reset with nothing installed. Messages are stored in dev_mail (listed at /dev/mail) and announced by one
// console line. That line deliberately shows the code: this transport only runs when no real mail leaves
// the machine, and the developer reading the console is the "mailbox". Never use it in production.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, DevMailTable } from '../store/database.ts';
import { assertSafeRecipient, type MailTransport } from './transport.ts';

export function createDevInboxTransport(db: Kysely<Database>, log: (line: string) => void): MailTransport {
  return {
    async send(msg) {
      assertSafeRecipient(msg.to);
      const id = randomUUID();
      await db
        .insertInto('dev_mail')
        .values({ id, recipient: msg.to, subject: msg.subject, body_text: msg.text, body_html: msg.html })
        .execute();
      // Best effort: the templates put the code alone after a label, as the only run of 6+ digits.
      const code = /(?<![\d.:])\d{6,10}(?![\d.:])/.exec(msg.text)?.[0];
      log(`[dev-inbox] to=${msg.to} subject=${JSON.stringify(msg.subject)}${code ? ` code=${code}` : ''} id=${id}`);
    },
  };
}

export interface DevMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  createdAt: Date;
}

export async function listDevMail(db: Kysely<Database>, opts: { recipient?: string; limit?: number } = {}): Promise<DevMail[]> {
  let query = db.selectFrom('dev_mail').selectAll();
  if (opts.recipient !== undefined) query = query.where('recipient', '=', opts.recipient);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(Math.min(Math.max(opts.limit ?? 50, 1), 500)).execute();
  return rows.map(toDevMail);
}

export async function getDevMail(db: Kysely<Database>, id: string): Promise<DevMail | undefined> {
  const row = await db.selectFrom('dev_mail').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toDevMail(row);
}

function toDevMail(row: Selectable<DevMailTable>): DevMail {
  return { id: row.id, to: row.recipient, subject: row.subject, text: row.body_text, html: row.body_html, createdAt: new Date(row.created_at) };
}
