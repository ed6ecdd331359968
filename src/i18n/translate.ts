// Message codes → text. Catalogs are plain objects per domain (ui, mail) merged here; `{name}` placeholders
// are filled from params. An unknown code renders as the code itself, so a missing string is visible, not blank.
import { uiMessages } from './catalogs/ui.ts';
import { mailMessages } from '../mail/messages.ts';
import { DEFAULT_LOCALE, type Locale } from './locales.ts';

export type Params = Record<string, string | number>;
type Catalog = Record<string, string>;

const catalogs: Record<Locale, Catalog> = {
  en: { ...uiMessages.en, ...mailMessages.en },
  sv: { ...uiMessages.sv, ...mailMessages.sv },
};

export function hasMessage(locale: Locale, code: string): boolean {
  return code in catalogs[locale];
}

export function translate(locale: Locale, code: string, params: Params = {}): string {
  const template = catalogs[locale][code] ?? catalogs[DEFAULT_LOCALE][code] ?? code;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Every code known in any catalog (used by the completeness test). */
export function catalogCodes(locale: Locale): string[] {
  return Object.keys(catalogs[locale]);
}
