// The product's core scenario (DESIGN.md, from the seed) as a customer lives it: in headless Chromium, on the
// hosted pages, clicking what a person clicks and reading what a person reads. Selectors are accessible names
// (labels, roles) in the customer's language, so a page that a screen reader could not use fails here too.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { hasChromium, launchChromium, openPage, screenshotPath, type PageProblems } from '../fixtures/chromium.ts';
import { createAdminToken } from '../../src/admin/auth.ts';
import { uiMessages } from '../../src/i18n/catalogs/ui.ts';

const SIGN_IN = '/contoso/B2C_1_signin/signin';
const EMAIL = 'alice@example.com';
const OLD_PASSWORD = 'Old-Passw0rd!x';
const NEW_PASSWORD = 'Harbour-Lantern-58!';

type Lang = keyof typeof uiMessages;
/** The catalog's own text, so a wording change in the catalog does not break the tests, but a missing label does. */
const text = (lang: Lang, code: string): string => {
  const value = uiMessages[lang][code];
  if (!value) throw new Error(`no ${lang} text for ${code}`);
  return value;
};

describe.skipIf(!hasChromium)('seed scenario in headless Chromium', () => {
  let browser: Browser;
  let t: TestApp;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    t = await startTestApp();
    await t.createUser({ email: EMAIL, password: OLD_PASSWORD, displayName: 'Alice Andersson' });
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await t?.close();
  });

  async function open(options: BrowserContextOptions = {}): Promise<{ page: Page; problems: PageProblems }> {
    const { context, page, problems } = await openPage(browser, { baseURL: t.url, ...options });
    contexts.push(context);
    return { page, problems };
  }

  /** Every hosted page: the declared language, one h1, the stylesheet actually applied, and no script at all. */
  async function expectWellFormedPage(page: Page, lang: Lang) {
    expect(await page.locator('html').getAttribute('lang')).toBe(lang);
    await expect.poll(() => page.locator('h1').count()).toBe(1);
    expect(await page.locator('script').count()).toBe(0);
    // The stylesheet loaded and applied (CSP allows it): the card is centred on a grey page.
    // (Page-side code is passed as text: the project's TypeScript has no DOM library.)
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(242, 242, 242)');
  }

  async function expectForgotLink(page: Page, lang: Lang, present: boolean) {
    const link = page.getByRole('link', { name: text(lang, 'sign_in.forgot_password') });
    expect(await link.count()).toBe(present ? 1 : 0);
  }

  async function signIn(page: Page, lang: Lang, email: string, password: string) {
    await page.getByLabel(text(lang, 'field.email')).fill(email);
    await page.getByLabel(text(lang, 'field.password'), { exact: true }).fill(password);
    await page.getByRole('button', { name: text(lang, 'sign_in.submit') }).click();
    await page.waitForLoadState('load');
  }

  /**
   * From the sign-in page, through "Forgot your password?" to "Password changed" and back to sign-in, the way a
   * customer does it: the code is read from the captured mail. Screenshots are taken when `shots` names a prefix.
   * Ends on the sign-in page that "Continue" leads to (its language is checked by the callers).
   */
  async function resetThroughPages(page: Page, lang: Lang, email: string, newPassword: string, shots?: string): Promise<{ code: string }> {
    await page.getByRole('link', { name: text(lang, 'sign_in.forgot_password') }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(text(lang, 'password_reset.title'));
    await expectWellFormedPage(page, lang);

    const mailsBefore = t.mail.length;
    await page.getByLabel(text(lang, 'field.email')).fill(email);
    await page.getByRole('button', { name: text(lang, 'password_reset.send_code') }).click();
    await page.getByRole('button', { name: text(lang, 'password_reset.verify_code') }).waitFor();
    await expect(page.getByRole('status').first().textContent()).resolves.toBe(text(lang, 'password_reset.code_sent'));
    if (shots) await page.screenshot({ path: screenshotPath(`${shots}-code`), fullPage: true });

    const mail = await t.waitForMail(email, { after: mailsBefore });
    const code = t.codeFrom(mail);
    expect(code).toMatch(/^\d{6}$/);
    await page.getByLabel(text(lang, 'field.code')).fill(code);
    await page.getByRole('button', { name: text(lang, 'password_reset.verify_code') }).click();

    const newPasswordField = page.getByLabel(text(lang, 'field.new_password'), { exact: true });
    await newPasswordField.waitFor();
    await expectWellFormedPage(page, lang);
    await newPasswordField.fill(newPassword);
    await page.getByLabel(text(lang, 'field.confirm_password'), { exact: true }).fill(newPassword);
    if (shots) await page.screenshot({ path: screenshotPath(`${shots}-new-password`), fullPage: true });
    await page.getByRole('button', { name: text(lang, 'password_reset.set_password') }).click();

    await page.getByRole('heading', { name: text(lang, 'password_reset.done_title') }).waitFor();
    await expectWellFormedPage(page, lang);
    await expect(page.locator('.intro').textContent()).resolves.toBe(text(lang, 'password_reset.intro.done'));
    if (shots) await page.screenshot({ path: screenshotPath(`${shots}-done`), fullPage: true });

    await page.getByRole('link', { name: text(lang, 'password_reset.continue') }).click();
    await page.waitForURL((url) => url.pathname === SIGN_IN && url.searchParams.has('flow'));
    await page.getByLabel(text('en', 'field.password'), { exact: true }).or(page.getByLabel(text(lang, 'field.password'), { exact: true })).waitFor();
    return { code };
  }

  /** After the reset: the old password is refused with the generic message, the new one signs in. */
  async function expectOnlyNewPasswordWorks(page: Page, lang: Lang, email: string, oldPassword: string, newPassword: string, shots?: string) {
    await signIn(page, lang, email, oldPassword);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(text(lang, 'sign_in.invalid_credentials'));
    if (shots) await page.screenshot({ path: screenshotPath(`${shots}-signin-error`), fullPage: true });

    await signIn(page, lang, email, newPassword);
    await page.getByRole('heading', { name: text(lang, 'sign_in.signed_in_title') }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/contoso/B2C_1_signin/signed-in');
    expect(await page.locator('#signed-in-as').textContent()).toBe(text(lang, 'sign_in.signed_in_as').replace('{name}', 'Alice Andersson'));
  }

  it('SSPR off: no link; SSPR All: the customer resets the password on the hosted pages and signs in with it', async () => {
    const { page, problems } = await open();

    // (a) A new tenant has SSPR off: the sign-in page offers no reset.
    await page.goto(SIGN_IN);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectWellFormedPage(page, 'en');
    await expect(page.getByLabel('Email Address').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password', { exact: true }).isVisible()).resolves.toBe(true);
    await expectForgotLink(page, 'en', false);
    expect(await page.locator(`a[href*="password-reset"]`).count()).toBe(0);

    // (b) The admin sets Self-service password reset enabled = All; a reload shows the link.
    await t.setSspr('all');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectForgotLink(page, 'en', true);
    await page.screenshot({ path: screenshotPath('en-signin'), fullPage: true });

    // (c) Forgot → email → code from the mail → new password → done → sign-in.
    const { code } = await resetThroughPages(page, 'en', EMAIL, NEW_PASSWORD, 'en');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectOnlyNewPasswordWorks(page, 'en', EMAIL, OLD_PASSWORD, NEW_PASSWORD, 'en');

    // Beyond the page, as the seed says: a "password changed" notice (without the code) went to the account.
    const toAlice = () => t.mail.filter((m) => m.to === EMAIL);
    await expect.poll(() => (t.nyckel.dispatcher.wake(), toAlice().length)).toBeGreaterThanOrEqual(2);
    const notice = toAlice().at(-1);
    expect(notice?.text).not.toContain(code);
    expect(notice?.subject).not.toBe(toAlice()[0]?.subject);
    expect(problems.list).toEqual([]);
  });

  it('an admin turns SSPR on through the admin API with a bearer token, and the link appears', async () => {
    const { page, problems } = await open();
    await page.goto(SIGN_IN);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectForgotLink(page, 'en', false);

    const endpoint = `${t.url}/admin/api/tenants/contoso/sspr`;
    const put = (headers: Record<string, string>) =>
      fetch(endpoint, { method: 'PUT', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify({ mode: 'all' }) });

    // Without a token nothing changes.
    expect((await put({})).status).toBe(401);
    expect((await put({ authorization: 'Bearer nyk_not-a-real-token-at-all' })).status).toBe(401);
    await page.reload();
    await expectForgotLink(page, 'en', false);

    const token = await createAdminToken(t.nyckel.store.db, 'browser-test');
    const res = await put({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ mode: 'all' });
    const get = await fetch(endpoint, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    expect(await get.json()).toMatchObject({ mode: 'all' });

    await page.reload();
    await expectForgotLink(page, 'en', true);

    // And off again: the link goes away, and the reset page itself refuses to start.
    const off = await fetch(endpoint, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ mode: 'none' }) });
    expect(off.status).toBe(200);
    await page.reload();
    await expectForgotLink(page, 'en', false);
    const direct = await page.goto('/contoso/B2C_1_signin/password-reset');
    expect(direct?.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toBe(text('en', 'password_reset.disabled_for_tenant'));
    expect(problems.list).toEqual([]);
  });

  it('speaks Swedish with ?ui_locales=sv on the sign-in page and on every page of the reset', async () => {
    await t.setSspr('all');
    const { page, problems } = await open();
    await page.goto(`${SIGN_IN}?ui_locales=sv`);
    await page.getByRole('heading', { name: 'Logga in' }).waitFor();
    await expectWellFormedPage(page, 'sv');
    await expect(page.getByLabel('E-postadress').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Lösenord', { exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Logga in' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('link', { name: 'Har du glömt lösenordet?' }).isVisible()).resolves.toBe(true);
    expect(await page.locator('footer').textContent()).toBe('Skyddas av Nyckel');
    await page.screenshot({ path: screenshotPath('sv-signin'), fullPage: true });

    const mailsBefore = t.mail.length;
    await resetThroughPages(page, 'sv', EMAIL, NEW_PASSWORD, 'sv');
    // The code mail was Swedish too.
    expect(t.mail.slice(mailsBefore).find((m) => m.to === EMAIL)?.subject).toMatch(/Verifieringskod/);
    expect(problems.list).toEqual([]);
  });

  // DESIGN.md: pages speak the customer's language (ui_locales first). A customer who chose Swedish and reset
  // the password should not be dropped back into English on the sign-in page "Fortsätt" leads to, nor after it.
  it('keeps the customer\'s Swedish after the reset: back on sign-in, and on the signed-in page', async () => {
    await t.setSspr('all');
    const { page } = await open();
    await page.goto(`${SIGN_IN}?ui_locales=sv`);
    await page.getByRole('heading', { name: 'Logga in' }).waitFor();
    await resetThroughPages(page, 'sv', EMAIL, NEW_PASSWORD);
    expect(await page.locator('html').getAttribute('lang'), 'sign-in page after "Fortsätt"').toBe('sv');
    await page.getByRole('heading', { name: 'Logga in' }).waitFor({ timeout: 2_000 });
    await expectOnlyNewPasswordWorks(page, 'sv', EMAIL, OLD_PASSWORD, NEW_PASSWORD);
  });

  it('follows the browser language (Accept-Language) when no ui_locales is given', async () => {
    await t.setSspr('all');
    const { page } = await open({ locale: 'sv-SE' });
    await page.goto(SIGN_IN);
    await page.getByRole('heading', { name: 'Logga in' }).waitFor();
    await expectForgotLink(page, 'sv', true);
    await page.getByRole('link', { name: 'Har du glömt lösenordet?' }).click();
    await page.getByRole('heading', { name: 'Återställ ditt lösenord' }).waitFor();
    await expect(page.getByRole('button', { name: 'Skicka verifieringskod' }).isVisible()).resolves.toBe(true);
  });

  it('works with JavaScript disabled: the whole reset and the sign-in after it', async () => {
    await t.setSspr('all');
    const { page, problems } = await open({ javaScriptEnabled: false });
    await page.goto(SIGN_IN);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectWellFormedPage(page, 'en');
    await resetThroughPages(page, 'en', EMAIL, NEW_PASSWORD);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expectOnlyNewPasswordWorks(page, 'en', EMAIL, OLD_PASSWORD, NEW_PASSWORD);
    expect(problems.list).toEqual([]);
  });

  it('fits a phone screen: no sideways scrolling on the sign-in and code pages', async () => {
    await t.setSspr('all');
    const { page } = await open({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const noSidewaysScroll = () => page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth');
    await page.goto(SIGN_IN);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await noSidewaysScroll()).toBe(true);
    await page.screenshot({ path: screenshotPath('mobile-signin'), fullPage: true });
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email Address').fill(EMAIL);
    await page.getByRole('button', { name: 'Send verification code' }).click();
    await page.getByLabel('Verification code').waitFor();
    expect(await noSidewaysScroll()).toBe(true);
    await page.screenshot({ path: screenshotPath('mobile-code'), fullPage: true });
  });
});
