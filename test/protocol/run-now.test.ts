// "Run now": a ready authorize URL for any user flow, through the tenant's built-in test application, whose
// redirect page (served by Nyckel) shows the decoded ID token — or the error the flow returned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browserless } from '../fixtures/browserless.ts';
import { runNowUrl } from '../../src/oidc/index.ts';
import { follow, signIn, startProtocolApp, PASSWORD, type ProtocolApp } from './helpers.ts';

describe('Run now', () => {
  let t: ProtocolApp;
  let user: { id: string };
  let callback: string;

  beforeAll(async () => {
    t = await startProtocolApp();
    user = await t.createUser({ email: 'erin@example.com', password: PASSWORD, displayName: 'Erin' });
    callback = `${t.base}/contoso/runnow/callback`;
  });
  afterAll(async () => t?.close());

  const claim = (body: string, name: string) => new RegExp(`data-claim="${name}">([^<]*)<`).exec(body)?.[1];

  it('opens the hosted sign-in with prompt=login and shows the decoded token, with the flow lifetimes', async () => {
    expect((await t.admin('PATCH', '/admin/api/tenants/contoso/user-flows/b2c_1_signin', { settings: { tokenLifetimes: { idTokenMinutes: 5 } } })).status).toBe(200);
    const res = await t.admin<{ url: string }>('GET', '/admin/api/tenants/contoso/user-flows/b2c_1_signin/run-url');
    expect(res.status).toBe(200);
    const url = new URL(res.json.url);
    expect(url.origin + url.pathname).toBe(`${t.base}/contoso/B2C_1_signin/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('prompt')).toBe('login');
    expect(url.searchParams.get('redirect_uri')).toBe(callback);

    const b = new Browserless(t.base);
    const back = await signIn(b, url.href, callback, 'erin@example.com');
    const page = await b.get(back.href);
    expect(page.res.status).toBe(200);
    expect(claim(page.body, 'oid')).toBe(user.id);
    expect(claim(page.body, 'tfp')).toBe('B2C_1_signin');
    expect(Number(claim(page.body, 'exp')) - Number(claim(page.body, 'iat'))).toBe(300);
    // The same test application is reused, and the library function gives the same kind of URL.
    const again = new URL(await runNowUrl(t.nyckel.services, 'contoso.onmicrosoft.com', 'B2C_1_SIGNIN'));
    expect(again.searchParams.get('client_id')).toBe(url.searchParams.get('client_id'));
  });

  it('shows the AADB2C90118 a legacy flow returns', async () => {
    await t.setSspr('all');
    await t.admin('PATCH', '/admin/api/tenants/contoso/user-flows/B2C_1_signin', { settings: { passwordReset: 'legacy' } });
    const b = new Browserless(t.base);
    const signin = await follow(b, await runNowUrl(t.nyckel.services, 'contoso', 'B2C_1_signin'), callback);
    const forgot = /id="forgot_password" href="([^"]+)"/.exec(signin.body ?? '')?.[1]?.replace(/&#38;/g, '&');
    const back = await follow(b, new URL(forgot!, t.base).href, callback);
    const page = await b.get(back.url);
    expect(page.body).toContain('AADB2C90118: The user has forgotten their password.');
  });

  it('refuses unknown flows and bad callbacks without faults', async () => {
    expect((await t.admin('GET', '/admin/api/tenants/contoso/user-flows/B2C_1_nope/run-url')).status).toBe(404);
    expect((await fetch(`${callback}?code=abc&state=B2C_1_signin`)).status).toBe(200);
    expect((await fetch(`${callback}?code=abc&state=B2C_1_signin&code=def`)).status).toBe(400);
    expect((await fetch(`${callback}?code=abc&state=..%2F..`)).status).toBe(400);
    expect((await fetch(`${t.base}/fabrikam/runnow/callback?code=abc`)).status).toBe(404);
  });
});
