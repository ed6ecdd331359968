// Supported languages. English is the fallback for any message a catalog lacks.
export const LOCALES = ['en', 'sv'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
export const isLocale = (value: string): value is Locale => (LOCALES as readonly string[]).includes(value);
