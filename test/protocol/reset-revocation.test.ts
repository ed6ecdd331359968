// SECURITY.md "Completing a reset": refresh tokens, access tokens and grants issued before a password reset
// stop working after it, and other browsers are signed out; a reset inside an app's sign-in still returns
// to the app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { Browserless } from '../fixtures/browserless.ts';
import { setAccountEnabled } from '../../src/store/queries/users.ts';
import { createApp, follow, resetPassword, signIn, startProtocolApp, NEW_PASSWORD, PASSWORD, type ProtocolApp } from './helpers.ts';

const insecure = { execute: [client.allowInsecureRequests] };
const redirectUri = 'http://localhost:3000/callback';

describe('password reset revokes what was issued before it', () => {
  let t: ProtocolApp;
  let config: client.Configuration;

  beforeAll(async () => {
    t = await startProtocolApp();
    await t.setSspr('all');
    await t.createUser({ email: 'carol@example.com', password: PASSWORD, displayName: 'Carol' });
    const web = await createApp(t, 'web', [redirectUri]);
    config = await client.discovery(new URL(`${t.base}/contoso/B2C_1_signin/v2.0/.well-known/openid-configuration`), web.client_id, web.client_secret, undefined, insecure);
  });
  afterAll(async () => t?.close());

  async function signedIn(b: Browserless, password = PASSWORD) {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid offline_access', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const callback = await signIn(b, url.href, redirectUri, 'carol@example.com', password);
    return { tokens: await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier }), verifier };
  }

  it('rejects an earlier refresh token and access token, and ends the other browser sessions', async () => {
    const laptop = new Browserless(t.base);
    const { tokens } = await signedIn(laptop);
    expect(tokens.refresh_token).toBeTruthy();

    const phone = new Browserless(t.base);
    const first = await phone.get('/contoso/B2C_1_signin/password-reset');
    await resetPassword(t, phone, first.body, 'carol@example.com');

    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(config, tokens.access_token, client.skipSubjectCheck)).rejects.toMatchObject({ status: 401 });
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    expect((await follow(laptop, url.href, redirectUri)).url).toContain('/signin?flow=');

    const fresh = await signedIn(new Browserless(t.base), NEW_PASSWORD);
    expect((await client.refreshTokenGrant(config, fresh.tokens.refresh_token!)).access_token).toBeTruthy();
  });

  it('lets a signed-in user reset inside an app sign-in and return to the app; the older refresh token dies', async () => {
    const created = await t.admin('POST', '/admin/api/tenants/contoso/user-flows', { name: 'B2C_1_PasswordReset', type: 'passwordReset' });
    expect(created.status).toBe(201);
    const b = new Browserless(t.base);
    const { tokens } = await signedIn(b, NEW_PASSWORD);
    const reset = await client.discovery(new URL(`${t.base}/contoso/b2c_1_passwordreset/v2.0/.well-known/openid-configuration`), config.clientMetadata().client_id, config.clientMetadata().client_secret as string, undefined, insecure);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(reset, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const page = await follow(b, url.href, redirectUri);
    expect(page.url).toContain('/password-reset?flow=');
    const cont = await resetPassword(t, b, page.body!, 'carol@example.com', 'Third-Passw0rd!!');
    const back = await follow(b, new URL(cont, t.base).href, redirectUri);
    const result = await client.authorizationCodeGrant(reset, new URL(back.url), { pkceCodeVerifier: verifier });
    expect(result.claims()?.tfp).toBe('B2C_1_PasswordReset');
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('Cancel on a reset policy page returns AADB2C90091 to the app; the page speaks ui_locales', async () => {
    const reset = await client.discovery(new URL(`${t.base}/contoso/B2C_1_PasswordReset/v2.0/.well-known/openid-configuration`), config.clientMetadata().client_id, config.clientMetadata().client_secret as string, undefined, insecure);
    const url = client.buildAuthorizationUrl(reset, { redirect_uri: redirectUri, scope: 'openid', ui_locales: 'sv', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const b = new Browserless(t.base);
    const page = await follow(b, url.href, redirectUri);
    expect(page.body).toContain('<html lang="sv">');
    const cancel = /id="cancel" href="([^"]+)"/.exec(page.body ?? '')?.[1]?.replace(/&#38;/g, '&');
    expect(cancel).toMatch(/\/interaction\/[^/]+\/cancel$/);
    const back = new URL((await follow(b, new URL(cancel!, t.base).href, redirectUri)).url);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toBe('AADB2C90091: The user has cancelled entering self-asserted information.');
  });

  it('a disabled account gets no tokens: refresh fails and the hosted page is shown again', async () => {
    const frank = await t.createUser({ email: 'frank@example.com', password: PASSWORD });
    const b = new Browserless(t.base);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid offline_access', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const tokens = await client.authorizationCodeGrant(config, await signIn(b, url.href, redirectUri, 'frank@example.com'), { pkceCodeVerifier: verifier });
    await setAccountEnabled(t.nyckel.services.db, t.tenant.id, frank.id, false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await follow(b, url.href, redirectUri)).url).toContain('/signin?flow=');
  });
});
