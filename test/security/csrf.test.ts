// SECURITY.md: CSRF protection on every form. A browser flow accepts a submission only with the token derived
// from the cookie of the browser that started it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf } from '../fixtures/browserless.ts';

describe('CSRF', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.setSspr('all');
  });
  afterAll(async () => t.close());

  for (const path of ['/contoso/B2C_1_signin/password-reset', '/contoso/B2C_1_signin/signin']) {
    it(`rejects forged submissions to ${path}`, async () => {
      const victim = new Browserless(t.url);
      const page = await victim.get(path);
      const f = formOf(page.body);
      const body = { action: path.endsWith('signin') ? 'sign_in' : 'send_code', email: 'a@example.com', identifier: 'a@example.com', password: 'x' };
      const clean = (o: Record<string, string>): Record<string, string> => (path.endsWith('signin') ? { csrf_token: o.csrf_token ?? '', identifier: o.identifier ?? '', password: o.password ?? '' } : { csrf_token: o.csrf_token ?? '', action: o.action ?? '', email: o.email ?? '' });
      // No token at all, with the victim's cookie (a cross-site form post).
      expect((await victim.postForm(f.action, clean({ ...body, csrf_token: '' }))).status).toBe(403);
      // A wrong token.
      expect((await victim.postForm(f.action, clean({ ...body, csrf_token: 'x'.repeat(43) }))).status).toBe(403);
      // The right token from another browser (attacker's own cookie).
      const attacker = new Browserless(t.url);
      await attacker.get(path);
      const stolen = await attacker.postForm(f.action, clean({ ...body, csrf_token: f.csrf }));
      expect(stolen.status).toBe(403);
      expect(stolen.body).toContain('csrf.invalid');
      // The genuine submission still works afterwards.
      expect((await victim.postForm(f.action, clean({ ...body, csrf_token: f.csrf }))).status).toBeLessThan(500);
    });
  }

  it('sets the CSRF cookie HttpOnly and SameSite=Lax', async () => {
    const res = await fetch(`${t.url}/contoso/B2C_1_signin/signin`, { redirect: 'manual' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('nyckel-csrf='));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });
});
