import { describe, expect, it } from 'vitest';
import { LOCALES } from '../i18n/locales.ts';
import { mailMessages } from './messages.ts';
import { formatMailTime, MAIL_TEMPLATES, mailSubject, renderMail, type MailParams } from './templates.ts';

const codeParams: MailParams = { tenantName: 'Contoso', code: '482913', minutes: 10 };
const changedParams: MailParams = {
  tenantName: 'Contoso',
  time: formatMailTime(new Date('2025-05-01T14:03:00Z'), 'en'),
  ip: '203.0.113.7',
  resetUrl: 'https://id.contoso.example/contoso/B2C_1_reset/reset',
};

describe('mail catalogs', () => {
  it('have the same codes in every language, none empty', () => {
    expect(Object.keys(mailMessages.sv).sort()).toEqual(Object.keys(mailMessages.en).sort());
    for (const locale of LOCALES) for (const text of Object.values(mailMessages[locale])) expect(text.trim()).not.toBe('');
  });
});

describe('renderMail', () => {
  it.each(LOCALES)('renders every template in %s with the tenant name in subject, text and HTML', (locale) => {
    for (const template of MAIL_TEMPLATES) {
      const mail = renderMail(template, locale, { ...codeParams, ...changedParams });
      for (const part of [mail.subject, mail.text, mail.html]) expect(part).toContain('Contoso');
      // An untranslated code or unfilled placeholder would show as "mail.…" or "{…}".
      expect(`${mail.subject}${mail.text}${mail.html}`).not.toMatch(/mail\.\w|\{\w+\}/);
      expect(mail.html).toContain(`<html lang="${locale}">`);
    }
  });

  it('puts the code, expiry and a no-action line in the code mail, never the code in the subject', () => {
    const en = renderMail('reset_code', 'en', codeParams);
    expect(en.text).toContain('Your code is: 482913');
    expect(en.text).toContain('expires in 10 minutes');
    expect(en.text).toContain("If you didn't request this code");
    expect(en.html).toContain('482913');
    expect(en.subject).not.toContain('482913');
    const sv = renderMail('signup_code', 'sv', codeParams);
    expect(sv.text).toContain('Din kod är: 482913');
    expect(sv.text).toContain('Koden gäller i 10 minuter.');
    expect(sv.subject).toBe('Verifieringskod för ditt konto hos Contoso');
  });

  it('tells time, IP and where to reset in the password-changed mail, with no code', () => {
    const en = renderMail('password_changed', 'en', { ...changedParams, code: '482913' });
    expect(en.text).toContain('changed on 1 May 2025 at 14:03 UTC from IP address 203.0.113.7');
    expect(en.text).toContain(changedParams.resetUrl);
    expect(en.html).toContain(`<a href="${changedParams.resetUrl}"`);
    expect(`${en.subject}${en.text}${en.html}`).not.toContain('482913');
    const sv = renderMail('password_changed', 'sv', { ...changedParams, time: formatMailTime(new Date('2025-05-01T14:03:00Z'), 'sv') });
    expect(sv.text).toContain('ändrades den 1 maj 2025 kl. 14:03 (UTC) från IP-adressen 203.0.113.7');
  });

  it('escapes every interpolated value in HTML and keeps it literal in text', () => {
    const evil = '<script>alert(1)</script> & "Co" {code}';
    const mail = renderMail('password_changed', 'en', { ...changedParams, tenantName: evil, ip: '<img src=x onerror=alert(1)>' });
    expect(mail.html).not.toContain('<script');
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;Co&#34; {code}');
    expect(mail.text).toContain(evil);
  });

  it('strips CR/LF from values so nothing can forge a header or a line', () => {
    const mail = renderMail('test', 'en', { tenantName: 'Acme\r\nBcc: victim@example.com' });
    expect(mail.subject).toBe('Test email from Acme Bcc: victim@example.com');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('uses branding only when it is a plain colour and an http(s) logo', () => {
    const branded = renderMail('test', 'en', { tenantName: 'Contoso', branding: { primaryColor: '#A1B2C3', logoUrl: 'https://cdn.example/logo.png' } });
    expect(branded.html).toContain('#A1B2C3');
    expect(branded.html).toContain('<img src="https://cdn.example/logo.png"');
    const hostile = renderMail('test', 'en', {
      tenantName: 'Contoso',
      branding: { primaryColor: 'red;background:url(https://evil.example/)', logoUrl: 'javascript:alert(1)' },
    });
    expect(hostile.html).not.toContain('evil.example');
    expect(hostile.html).not.toContain('javascript:');
    expect(hostile.html).not.toContain('<img');
  });

  it('renders each code mail with its own code, also when its tenant, language and settings were rendered before', () => {
    const first = renderMail('reset_code', 'sv', { ...codeParams, code: '111111' });
    const second = renderMail('reset_code', 'sv', { ...codeParams, code: '222222' });
    expect(second.text).toBe(first.text.replaceAll('111111', '222222'));
    expect(second.html).toBe(first.html.replaceAll('111111', '222222'));
    expect(`${second.text}${second.html}`).not.toContain('111111');
    expect(second.subject).toBe(first.subject);
    // Another tenant, language or colour is another mail, not the cached one with a new code.
    expect(renderMail('reset_code', 'sv', { ...codeParams, tenantName: 'Fabrikam', code: '222222' }).text).toContain('Fabrikam');
    expect(renderMail('reset_code', 'en', { ...codeParams, code: '222222' }).text).toContain('Your code is: 222222');
    expect(renderMail('reset_code', 'sv', { ...codeParams, code: '222222', branding: { primaryColor: '#123456' } }).html).toContain('#123456');
    // The code is cleaned and escaped as any value is.
    const hostile = renderMail('reset_code', 'en', { ...codeParams, code: '<b>1\r\n2</b>' });
    expect(hostile.html).toContain('&#60;b&#62;1 2&#60;/b&#62;');
    expect(hostile.text).toContain('Your code is: <b>1 2</b>');
  });

  it('refuses to render with a missing code or a non-http reset link', () => {
    expect(() => renderMail('reset_code', 'en', { tenantName: 'Contoso', minutes: 10 })).toThrow(/missing code/);
    expect(() => renderMail('password_changed', 'en', { ...changedParams, resetUrl: 'javascript:alert(1)' })).toThrow(/http/);
  });

  it("gives, as mailSubject, the subject of the whole mail, and refuses what renderMail refuses", () => {
    for (const locale of LOCALES) {
      for (const template of MAIL_TEMPLATES) {
        for (const tenantName of ['Contoso', 'Fabrikam & Söner']) {
          const params = { ...codeParams, ...changedParams, tenantName };
          expect(mailSubject(template, locale, params)).toBe(renderMail(template, locale, params).subject);
        }
      }
    }
    expect(() => mailSubject('reset_code', 'en', { tenantName: 'Contoso', minutes: 10 })).toThrow(/missing code/);
    expect(() => mailSubject('password_changed', 'en', { ...changedParams, resetUrl: 'javascript:alert(1)' })).toThrow(/http/);
  });
});
