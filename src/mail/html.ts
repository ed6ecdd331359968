// HTML helpers for mail: escaping and the one table-based, inline-styled layout that mail clients render
// (many strip <style> and ignore flexbox). Every value reaching HTML passes through escapeHtml; branding
// values are allow-listed first because they land inside style and src attributes.

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const DEFAULT_COLOR = '#0067b8';

/** Only #rgb / #rrggbb: anything else could break out of the style attribute (CSS injection). */
export function safeColor(value: string | undefined): string {
  return value && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(value) ? value : DEFAULT_COLOR;
}

/** Only absolute http(s) URLs: a javascript: or data: URL in a mail is never legitimate. */
export function safeHttpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export interface Layout {
  lang: string;
  title: string;
  tenantName: string;
  color: string;
  logoUrl: string | undefined;
  /** Already-escaped HTML of the message blocks. */
  content: string;
  /** Already-escaped HTML of the footer line. */
  footer: string;
}

const FONT = "font-family:'Segoe UI',Helvetica,Arial,sans-serif;";

export function layoutHtml(l: Layout): string {
  const name = escapeHtml(l.tenantName);
  const header = l.logoUrl
    ? `<img src="${escapeHtml(l.logoUrl)}" alt="${name}" height="36" style="display:block;height:36px;border:0;">`
    : `<span style="${FONT}font-size:20px;font-weight:600;color:${l.color};">${name}</span>`;
  return `<!DOCTYPE html>
<html lang="${escapeHtml(l.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(l.title)}</title></head>
<body style="margin:0;padding:0;background:#f3f3f3;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f3f3;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background:#ffffff;border-top:4px solid ${l.color};">
<tr><td style="padding:24px 32px 0;">${header}</td></tr>
<tr><td style="padding:16px 32px 24px;${FONT}font-size:15px;line-height:1.5;color:#1b1b1b;">
${l.content}
</td></tr>
<tr><td style="padding:16px 32px;${FONT}font-size:12px;line-height:1.4;color:#605e5c;border-top:1px solid #e1e1e1;">${l.footer}</td></tr>
</table>
</td></tr>
</table>
</body></html>
`;
}
