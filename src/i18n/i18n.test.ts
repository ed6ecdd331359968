import { describe, expect, it } from 'vitest';
import { catalogCodes, translate } from './translate.ts';
import { negotiateLocale } from './negotiate.ts';

describe('catalogs', () => {
  it('English and Swedish have the same codes', () => {
    expect(catalogCodes('sv').sort()).toEqual(catalogCodes('en').sort());
  });
  it('fills parameters', () => {
    expect(translate('en', 'password.too_short', { min: 8 })).toBe('The password must be at least 8 characters.');
    expect(translate('sv', 'password.too_short', { min: 8 })).toBe('Lösenordet måste innehålla minst 8 tecken.');
  });
  it('shows an unknown code as itself', () => expect(translate('en', 'no.such.code')).toBe('no.such.code'));
});

describe('negotiateLocale', () => {
  it('prefers ui_locales', () => expect(negotiateLocale({ uiLocales: 'sv-SE en', acceptLanguage: 'en' })).toBe('sv'));
  it('then Accept-Language by q', () => expect(negotiateLocale({ acceptLanguage: 'de;q=0.9, sv;q=0.8, en;q=0.1' })).toBe('sv'));
  it('then the flow default', () => expect(negotiateLocale({ acceptLanguage: 'de, fr', flowDefault: 'sv' })).toBe('sv'));
  it('then English', () => expect(negotiateLocale({})).toBe('en'));
});
