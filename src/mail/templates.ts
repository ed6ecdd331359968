// Mail templates: each template is a short list of blocks (message codes + values), rendered once to plain
// text and once to branded HTML. Texts come from the catalogs (messages.ts) so every mail is localized.
import { randomUUID } from 'node:crypto';
import type { Locale } from '../i18n/locales.ts';
import { translate } from '../i18n/translate.ts';
import { escapeHtml, layoutHtml, safeColor, safeHttpUrl } from './html.ts';

export type MailTemplate = 'reset_code' | 'signup_code' | 'password_changed' | 'test';
export const MAIL_TEMPLATES: readonly MailTemplate[] = ['reset_code', 'signup_code', 'password_changed', 'test'];

export interface MailParams {
  tenantName: string;
  code?: string;
  minutes?: number;
  /** When the event happened, already formatted for the reader; see formatMailTime. */
  time?: string;
  ip?: string;
  resetUrl?: string;
  branding?: { primaryColor?: string; logoUrl?: string };
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  /** A code mail: its code, and the bodies as the parts around it (kept per tenant, language and settings). */
  code?: CodeSlots;
}

/** text = text parts joined by `value`, html = html parts joined by `value` HTML-escaped. */
export interface CodeSlots {
  value: string;
  text: readonly string[];
  html: readonly string[];
}

type Block = { kind: 'heading' | 'p'; msg: string } | { kind: 'code'; msg: string; value: string } | { kind: 'signoff' };

// A missing parameter is a programming error: fail loudly instead of mailing "{code}" to a customer.
const REQUIRED: Record<MailTemplate, (keyof MailParams)[]> = {
  reset_code: ['code', 'minutes'],
  signup_code: ['code', 'minutes'],
  password_changed: ['time', 'ip', 'resetUrl'],
  test: [],
};

function blocks(t: MailTemplate, p: MailParams): Block[] {
  const m = (suffix: string) => `mail.${t}.${suffix}`;
  switch (t) {
    case 'reset_code':
    case 'signup_code':
      return [
        { kind: 'heading', msg: m('heading') },
        { kind: 'p', msg: m('intro') },
        { kind: 'code', msg: m('code_label'), value: p.code ?? '' },
        { kind: 'p', msg: m('expiry') },
        { kind: 'p', msg: m('ignore') },
        { kind: 'signoff' },
      ];
    case 'password_changed':
      // Deliberately no code, token or link that signs anyone in: the notice must be safe to leak.
      return [
        { kind: 'heading', msg: m('heading') },
        { kind: 'p', msg: m('body') },
        { kind: 'p', msg: m('ok') },
        { kind: 'p', msg: m('not_you') },
        { kind: 'signoff' },
      ];
    case 'test':
      return [{ kind: 'heading', msg: m('heading') }, { kind: 'p', msg: m('body') }, { kind: 'signoff' }];
  }
}

// Control characters (CR/LF above all) in a value could forge lines in the text body or the Subject header.
const cleanValue = (value: string) => value.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();

/** Fills a message's {placeholders} once, so a value that itself contains "{x}" is never expanded. */
function fill(locale: Locale, msg: string, values: Record<string, string>, html: boolean): string {
  const parts = translate(locale, msg).split(/\{(\w+)\}/);
  return parts
    .map((part, i) => {
      if (i % 2 === 0) return html ? escapeHtml(part) : part;
      const value = values[part];
      if (value === undefined) return html ? escapeHtml(`{${part}}`) : `{${part}}`;
      if (!html) return value;
      return part === 'resetUrl' ? `<a href="${escapeHtml(value)}" style="color:inherit;">${escapeHtml(value)}</a>` : escapeHtml(value);
    })
    .join('');
}

function checkRequired(template: MailTemplate, params: MailParams): void {
  for (const key of REQUIRED[template]) {
    if (params[key] === undefined || params[key] === '') throw new Error(`renderMail(${template}): missing ${key}`);
  }
}

export function renderMail(template: MailTemplate, locale: Locale, params: MailParams): RenderedMail {
  checkRequired(template, params);
  return params.code === undefined ? renderFresh(template, locale, params) : renderWithCode(template, locale, params, params.code);
}

/**
 * The subject renderMail would give, and the same checks (it throws where renderMail throws), without joining
 * a code mail's bodies: a step queues the mail with its subject and renders nothing else (outbox.ts).
 */
export function mailSubject(template: MailTemplate, locale: Locale, params: MailParams): string {
  checkRequired(template, params);
  if (params.code === undefined) return renderFresh(template, locale, params).subject;
  return codeParts(template, locale, params).subject;
}

// A code mail differs from the last one of its tenant, language and settings only in the code: it is rendered
// once with a marker where the code goes (a random string no tenant name can contain), and each mail is those
// parts joined by its code. Rendering from the catalogs was about 8 % of a reset request's request-thread CPU.
const CODE_MARK = `c${randomUUID().replace(/-/g, '')}`;
const MAX_CACHED = 500;
const withCode = new Map<string, { subject: string; text: string[]; html: string[] }>();

function renderWithCode(template: MailTemplate, locale: Locale, params: MailParams, code: string): RenderedMail {
  const parts = codeParts(template, locale, params);
  const clean = cleanValue(code);
  return { subject: parts.subject, text: parts.text.join(clean), html: parts.html.join(escapeHtml(clean)), code: { value: clean, text: parts.text, html: parts.html } };
}

/** A code mail of these params, rendered once with the marker and split there. */
function codeParts(template: MailTemplate, locale: Locale, params: MailParams): { subject: string; text: string[]; html: string[] } {
  const key = JSON.stringify([template, locale, params.tenantName, params.minutes, params.time, params.ip, params.resetUrl, params.branding?.primaryColor, params.branding?.logoUrl]);
  let parts = withCode.get(key);
  if (!parts) {
    const marked = renderFresh(template, locale, { ...params, code: CODE_MARK });
    if (marked.subject.includes(CODE_MARK)) throw new Error(`renderMail(${template}): the code must not be in the subject`);
    parts = { subject: marked.subject, text: marked.text.split(CODE_MARK), html: marked.html.split(CODE_MARK) };
    if (withCode.size >= MAX_CACHED) withCode.clear();
    withCode.set(key, parts);
  }
  return parts;
}

function renderFresh(template: MailTemplate, locale: Locale, params: MailParams): RenderedMail {
  const resetUrl = params.resetUrl === undefined ? undefined : safeHttpUrl(params.resetUrl);
  if (params.resetUrl !== undefined && !resetUrl) throw new Error(`renderMail(${template}): resetUrl must be http(s)`);
  const tenant = cleanValue(params.tenantName);
  const values: Record<string, string> = { tenant };
  if (params.minutes !== undefined) values.minutes = String(params.minutes);
  if (params.time !== undefined) values.time = cleanValue(params.time);
  if (params.ip !== undefined) values.ip = cleanValue(params.ip);
  if (resetUrl) values.resetUrl = resetUrl;
  const color = safeColor(params.branding?.primaryColor);
  const text: string[] = [];
  const html: string[] = [];

  for (const b of blocks(template, params)) {
    if (b.kind === 'heading') {
      text.push(fill(locale, b.msg, values, false));
      html.push(`<h1 style="margin:0 0 16px;font-size:22px;font-weight:600;">${fill(locale, b.msg, values, true)}</h1>`);
    } else if (b.kind === 'p') {
      text.push(fill(locale, b.msg, values, false));
      html.push(`<p style="margin:0 0 16px;">${fill(locale, b.msg, values, true)}</p>`);
    } else if (b.kind === 'code') {
      const code = cleanValue(b.value);
      text.push(`${fill(locale, b.msg, values, false)} ${code}`);
      html.push(
        `<p style="margin:0 0 4px;">${fill(locale, b.msg, values, true)}</p>` +
          `<p style="margin:0 0 16px;font-size:28px;font-weight:600;letter-spacing:4px;color:${color};">${escapeHtml(code)}</p>`,
      );
    } else {
      text.push(`${fill(locale, 'mail.common.signoff', values, false)}\n${tenant}`);
      html.push(`<p style="margin:24px 0 0;">${fill(locale, 'mail.common.signoff', values, true)}<br>${escapeHtml(tenant)}</p>`);
    }
  }

  const subject = fill(locale, `mail.${template}.subject`, values, false);
  const footer = fill(locale, 'mail.common.automated', values, false);
  return {
    subject,
    text: `${text.join('\n\n')}\n\n-- \n${footer}\n`,
    html: layoutHtml({
      lang: locale,
      title: subject,
      tenantName: tenant,
      color,
      logoUrl: safeHttpUrl(params.branding?.logoUrl),
      content: html.join('\n'),
      footer: fill(locale, 'mail.common.automated', values, true),
    }),
  };
}

/** The event time as a reader expects it in each language, in UTC (the server cannot know the reader's zone). */
export function formatMailTime(at: Date, locale: Locale): string {
  const tag = locale === 'sv' ? 'sv-SE' : 'en-GB';
  const date = new Intl.DateTimeFormat(tag, { dateStyle: 'long', timeZone: 'UTC' }).format(at);
  const time = new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' }).format(at);
  return locale === 'sv' ? `den ${date} kl. ${time} (UTC)` : `${date} at ${time} UTC`;
}
