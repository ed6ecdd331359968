// HTTP view of the dev inbox: /dev/mail (list), /dev/mail/:id (one message), /dev/mail.json?to= (for tests
// and scripts fetching codes; `to` is lower-cased since recipients are stored canonical). Register these
// only when the dev inbox is the transport: they show codes.
// Message HTML is untrusted (it interpolates tenant and user data), so it is shown in an iframe with an
// empty sandbox (no scripts, opaque origin) through srcdoc, and the page's CSP forbids scripts as well
// (a srcdoc document inherits it).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.ts';
import { getDevMail, listDevMail } from './dev-inbox.ts';
import { escapeHtml } from './html.ts';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function page(reply: FastifyReply, title: string, body: string) {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .send(
      `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
        `<body style="font-family:system-ui,sans-serif;margin:24px;max-width:960px;">` +
        `<p style="background:#fff4ce;padding:8px 12px;">Development inbox: messages Nyckel would have emailed. No mail leaves this machine.</p>` +
        `${body}</body></html>`,
    );
}

const mailJson = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    to: { type: 'string' },
    subject: { type: 'string' },
    text: { type: 'string' },
    html: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'to', 'subject', 'text', 'html', 'createdAt'],
} as const;

export async function registerDevInbox(app: FastifyInstance, deps: { db: Kysely<Database> }): Promise<void> {
  app.get('/dev/mail', async (_request, reply) => {
    const rows = (await listDevMail(deps.db, { limit: 50 }))
      .map(
        (m) =>
          `<tr><td>${escapeHtml(m.to)}</td><td><a href="/dev/mail/${encodeURIComponent(m.id)}">${escapeHtml(m.subject)}</a></td>` +
          `<td>${escapeHtml(m.createdAt.toISOString())}</td></tr>`,
      )
      .join('');
    const table = rows
      ? `<table cellpadding="6" style="border-collapse:collapse;width:100%;"><thead><tr><th align="left">To</th><th align="left">Subject</th><th align="left">Received (UTC)</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p>No messages yet.</p>';
    return page(reply, 'Dev inbox', `<h1>Dev inbox</h1>${table}`);
  });

  app.get<{ Params: { id: string } }>(
    '/dev/mail/:id',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } } },
    async (request, reply) => {
      const mail = await getDevMail(deps.db, request.params.id);
      if (!mail) return page(reply.code(404), 'Not found', '<h1>Message not found</h1><p><a href="/dev/mail">Back to the inbox</a></p>');
      return page(
        reply,
        mail.subject,
        `<p><a href="/dev/mail">Back to the inbox</a></p><h1>${escapeHtml(mail.subject)}</h1>` +
          `<p>To: ${escapeHtml(mail.to)}<br>Received: ${escapeHtml(mail.createdAt.toISOString())}</p>` +
          `<iframe sandbox="" srcdoc="${escapeHtml(mail.html)}" title="Message" style="width:100%;height:560px;border:1px solid #ccc;"></iframe>` +
          `<h2>Plain text</h2><pre style="white-space:pre-wrap;background:#f6f6f6;padding:12px;">${escapeHtml(mail.text)}</pre>`,
      );
    },
  );

  app.get<{ Querystring: { to?: string; limit?: number } }>(
    '/dev/mail.json',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { to: { type: 'string', maxLength: 320 }, limit: { type: 'integer', minimum: 1, maximum: 500 } },
          additionalProperties: false,
        },
        response: { 200: { type: 'array', items: mailJson } },
      },
    },
    async (request, reply) => {
      const { to, limit } = request.query;
      const mails = await listDevMail(deps.db, { ...(to !== undefined ? { recipient: to.trim().toLowerCase() } : {}), limit: limit ?? 50 });
      return reply.header('cache-control', 'no-store').send(mails);
    },
  );
}
