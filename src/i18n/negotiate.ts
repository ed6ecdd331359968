// Picks the page language: `ui_locales` (OIDC, space-separated), then Accept-Language (by q), then the
// user flow's default, then English.
import { DEFAULT_LOCALE, isLocale, type Locale } from './locales.ts';

function primary(tag: string): string {
  return tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

function fromAcceptLanguage(header: string): Locale | undefined {
  const ranked = header
    .split(',')
    .slice(0, 20)
    .map((part) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: primary(tag), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((r) => r.tag).find(isLocale);
}

export function negotiateLocale(input: { uiLocales?: string | undefined; acceptLanguage?: string | undefined; flowDefault?: string | undefined }): Locale {
  for (const tag of (input.uiLocales ?? '').split(/\s+/).slice(0, 10)) {
    const p = primary(tag);
    if (isLocale(p)) return p;
  }
  const accepted = input.acceptLanguage ? fromAcceptLanguage(input.acceptLanguage.slice(0, 500)) : undefined;
  if (accepted) return accepted;
  if (input.flowDefault && isLocale(primary(input.flowDefault))) return primary(input.flowDefault) as Locale;
  return DEFAULT_LOCALE;
}
