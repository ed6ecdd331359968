// The page frame of every hosted page: language, title, stylesheet, and the tenant's name.
// No script at all: pages work without JavaScript and the CSP forbids scripts anyway.
import { html, type Html } from './html.ts';
import { translate } from '../i18n/translate.ts';
import type { Locale } from '../i18n/locales.ts';

export interface PageFrame {
  locale: Locale;
  title: string;
  tenantName?: string;
  body: Html;
}

export function page(frame: PageFrame): string {
  return (
    '<!doctype html>' +
    html`<html lang="${frame.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${frame.title}${frame.tenantName ? ` – ${frame.tenantName}` : ''}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/nyckel.css">
</head>
<body>
<main class="card">
${frame.tenantName ? html`<header class="brand"><span class="brand-name">${frame.tenantName}</span></header>` : ''}
${frame.body}
</main>
<footer class="footer">${translate(frame.locale, 'page.powered_by')}</footer>
</body>
</html>`.value
  );
}
