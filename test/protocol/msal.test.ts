// An app written for Azure AD B2C (MSAL Node 7, confidential client) moved to Nyckel by changing only its
// authority — over https with a certificate from `nyckel dev-cert`, as MSAL refuses plain-http authorities.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { Browserless } from '../fixtures/browserless.ts';
import { writeDevCert } from '../../src/oidc/dev-cert.ts';
import { caFetch } from './tls-fetch.ts';
import { createApp, follow, resetPassword, signIn, startProtocolApp, NEW_PASSWORD, PASSWORD, type ProtocolApp } from './helpers.ts';

describe('MSAL Node with a B2C authority pointed at Nyckel (https)', () => {
  let t: ProtocolApp;
  let user: { id: string };
  let app: { client_id: string; client_secret?: string };
  const redirectUri = 'https://localhost:44321/signin-oidc';

  const msal = (policy: string) =>
    new ConfidentialClientApplication({
      auth: {
        clientId: app.client_id,
        clientSecret: app.client_secret!,
        authority: `${t.base}/contoso.onmicrosoft.com/${policy}`,
        knownAuthorities: [new URL(t.base).host],
      },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => {} } },
    });

  beforeAll(async () => {
    const paths = await writeDevCert(mkdtempSync(join(tmpdir(), 'nyckel-dev-cert-')));
    vi.stubGlobal('fetch', caFetch(readFileSync(paths.ca, 'utf8')));
    t = await startProtocolApp({}, { cert: paths.cert, key: paths.key });
    expect(t.base).toMatch(/^https:\/\/localhost:\d+$/);
    user = await t.createUser({ email: 'bob@example.com', password: PASSWORD, displayName: 'Bob' });
    app = await createApp(t, 'web', [redirectUri]);
  });
  afterAll(async () => {
    await t?.close();
    vi.unstubAllGlobals();
  });

  it('getAuthCodeUrl → hosted sign-in → acquireTokenByCode maps the account to the user', async () => {
    const cca = msal('B2C_1_signin');
    const url = await cca.getAuthCodeUrl({ scopes: [], redirectUri });
    expect(url.startsWith(`${t.base}/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/authorize?`)).toBe(true);
    const callback = await signIn(new Browserless(t.base), url, redirectUri, 'bob@example.com');
    const result = await cca.acquireTokenByCode({ code: callback.searchParams.get('code')!, scopes: [], redirectUri });
    expect(result.idTokenClaims).toMatchObject({ oid: user.id, sub: user.id, tfp: 'B2C_1_signin', emails: ['bob@example.com'], name: 'Bob', ver: '1.0' });
    expect(result.account?.homeAccountId).toBe(`${user.id}-b2c_1_signin.${t.tenant.id}`);
    expect(result.account?.localAccountId).toBe(user.id);
  });

  it('legacy mode hands the app AADB2C90118; the password reset policy then completes and signs in', async () => {
    await t.setSspr('all');
    expect((await t.admin('PATCH', '/admin/api/tenants/contoso/user-flows/B2C_1_signin', { settings: { passwordReset: 'legacy' } })).status).toBe(200);
    expect((await t.admin('POST', '/admin/api/tenants/contoso/user-flows', { name: 'reset', type: 'passwordReset' })).status).toBe(201);

    const b = new Browserless(t.base);
    const signin = await follow(b, await msal('B2C_1_signin').getAuthCodeUrl({ scopes: [], redirectUri }), redirectUri);
    const forgot = /id="forgot_password" href="([^"]+)"/.exec(signin.body ?? '')?.[1]?.replace(/&#38;/g, '&');
    expect(forgot).toMatch(/\/interaction\/[^/]+\/forgot-password$/);
    const back = new URL((await follow(b, new URL(forgot!, t.base).href, redirectUri)).url);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toMatch(/^AADB2C90118: The user has forgotten their password\./);

    const reset = msal('B2C_1_reset');
    const page = await follow(b, await reset.getAuthCodeUrl({ scopes: [], redirectUri }), redirectUri);
    expect(page.url).toContain('/B2C_1_reset/password-reset?flow=');
    const cont = await resetPassword(t, b, page.body!, 'bob@example.com');
    const done = new URL((await follow(b, new URL(cont, t.base).href, redirectUri)).url);
    const result = await reset.acquireTokenByCode({ code: done.searchParams.get('code')!, scopes: [], redirectUri });
    expect(result.idTokenClaims).toMatchObject({ oid: user.id, tfp: 'B2C_1_reset' });

    // The new password signs in through the (legacy) sign-in policy.
    const again = await signIn(new Browserless(t.base), await msal('B2C_1_signin').getAuthCodeUrl({ scopes: [], redirectUri }), redirectUri, 'bob@example.com', NEW_PASSWORD);
    expect(again.searchParams.get('code')).toBeTruthy();
  });
});
