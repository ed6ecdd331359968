// A standard relying party (openid-client 6) against Nyckel's B2C-shaped endpoints: discovery, authorization
// code + PKCE through the hosted sign-in page, ID token validation against the JWKS, refresh, userinfo,
// logout, and key rotation that keeps earlier tokens verifiable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Browserless } from '../fixtures/browserless.ts';
import { createApp, follow, signIn, startProtocolApp, PASSWORD, type ProtocolApp } from './helpers.ts';

const insecure = { execute: [client.allowInsecureRequests] };

describe('openid-client against a B2C-shaped policy', () => {
  let t: ProtocolApp;
  let user: { id: string };
  let web: { client_id: string; client_secret?: string };
  let config: client.Configuration;
  const redirectUri = 'http://localhost:5173/auth/callback';

  beforeAll(async () => {
    t = await startProtocolApp();
    user = await t.createUser({ email: 'alice@example.com', password: PASSWORD, displayName: 'Alice Andersson', givenName: 'Alice', surname: 'Andersson' });
    web = await createApp(t, 'web', [redirectUri]);
    config = await client.discovery(new URL(`${t.base}/contoso.onmicrosoft.com/b2c_1_signin/v2.0/.well-known/openid-configuration`), web.client_id, web.client_secret, undefined, insecure);
  });
  afterAll(async () => t?.close());

  async function codeFlow(scope = 'openid offline_access', extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', nonce, ...extra });
    const b = new Browserless(t.base);
    const callback = await signIn(b, url.href, redirectUri, 'alice@example.com');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
    return { tokens, browser: b, nonce };
  }

  it('publishes B2C-shaped discovery for the policy (any case, alias, id, ?p= form)', async () => {
    const md = config.serverMetadata();
    expect(md.issuer).toBe(`${t.base}/${t.tenant.id}/v2.0/`);
    expect(md.authorization_endpoint).toBe(`${t.base}/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/authorize`);
    expect(md.token_endpoint).toBe(`${t.base}/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/token`);
    expect(md.jwks_uri).toBe(`${t.base}/contoso.onmicrosoft.com/b2c_1_signin/discovery/v2.0/keys`);
    expect(md.end_session_endpoint).toBe(`${t.base}/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/logout`);
    for (const path of [`/contoso/B2C_1_SIGNIN/v2.0/.well-known/openid-configuration`, `/${t.tenant.id}/b2c_1_signin/v2.0/.well-known/openid-configuration`, `/contoso/v2.0/.well-known/openid-configuration?p=B2C_1_signin`]) {
      const res = await fetch(new URL(path, t.base));
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as { issuer: string }).issuer).toBe(md.issuer);
    }
  });

  it('signs in with code + PKCE through the hosted page and issues B2C-shaped tokens', async () => {
    const { tokens, nonce } = await codeFlow();
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ sub: user.id, oid: user.id, ver: '1.0', tfp: 'B2C_1_signin', emails: ['alice@example.com'], name: 'Alice Andersson', given_name: 'Alice', family_name: 'Andersson', nonce, aud: web.client_id });
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.at_hash).toBe('string');
    expect(claims.exp - claims.iat).toBe(3600);
    expect(tokens.refresh_token).toBeTruthy();
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: config.serverMetadata().issuer, audience: web.client_id });
    expect(protectedHeader.alg).toBe('RS256');
  });

  it('refreshes (rotating the refresh token) and serves userinfo', async () => {
    const { tokens } = await codeFlow();
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe(user.id);
    const info = await client.fetchUserInfo(config, refreshed.access_token, user.id);
    expect(info).toMatchObject({ sub: user.id, oid: user.id, emails: ['alice@example.com'], tfp: 'B2C_1_signin' });
    // Replaying a used refresh token is refused and, as a sign of theft, revokes the whole grant.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('issues a JWT access token with B2C claims when the app asks for its own client id', async () => {
    const { tokens } = await codeFlow(`openid offline_access ${web.client_id}`);
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: config.serverMetadata().issuer, audience: web.client_id });
    expect(payload).toMatchObject({ sub: user.id, oid: user.id, ver: '1.0', tfp: 'B2C_1_signin', emails: ['alice@example.com'], azp: web.client_id });
  });

  it('completes single sign-on from the session, but prompt=login asks for the password again', async () => {
    const { browser } = await codeFlow();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const sso = await follow(browser, url.href, redirectUri);
    expect(sso.body).toBeUndefined();
    expect(new URL(sso.url).searchParams.get('code')).toBeTruthy();
    url.searchParams.set('prompt', 'login');
    url.searchParams.set('login_hint', 'alice@example.com');
    const forced = await follow(browser, url.href, redirectUri);
    expect(forced.url).toContain('/signin?flow=');
    expect(forced.body).toContain('value="alice@example.com"');
  });

  it('signs out through the logout endpoint back to the app and ends the session', async () => {
    const { tokens, browser } = await codeFlow();
    const logout = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: redirectUri, state: 'bye' });
    const page = await follow(browser, logout.href, redirectUri);
    const form = /action="([^"]+)"[\s\S]*name="xsrf" value="([^"]+)"/.exec(page.body ?? '');
    expect(form).toBeTruthy();
    const confirmed = await browser.request(form![1]!.replace(/&#38;/g, '&'), { method: 'POST', body: new URLSearchParams({ xsrf: form![2]!, logout: 'yes' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${redirectUri}?state=bye`);
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    expect((await follow(browser, url.href, redirectUri)).url).toContain('/signin?flow=');
  });

  it('keeps tokens signed before a key rotation verifiable, and signs new ones with the new key', async () => {
    const before = (await codeFlow()).tokens.id_token!;
    const rotated = await t.admin<{ kid: string; retired: string }>('POST', '/admin/api/tenants/contoso/keys/rotate', {});
    expect(rotated.status).toBe(200);
    const after = (await codeFlow()).tokens.id_token!;
    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string };
    expect(header(before).kid).toBe(rotated.json.retired);
    expect(header(after).kid).toBe(rotated.json.kid);
    await jwtVerify(before, jwks, { issuer: config.serverMetadata().issuer, audience: web.client_id });
    await jwtVerify(after, jwks, { issuer: config.serverMetadata().issuer, audience: web.client_id });
  });

  it('lets a single-page app redeem its code with PKCE and no secret, from its own origin only (CORS)', async () => {
    const spaRedirect = 'http://localhost:5174/';
    const spa = await createApp(t, 'spa', [spaRedirect]);
    const spaConfig = await client.discovery(new URL(`${t.base}/contoso/b2c_1_signin/v2.0/.well-known/openid-configuration`), spa.client_id, undefined, client.None(), insecure);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(spaConfig, { redirect_uri: spaRedirect, scope: 'openid offline_access', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const callback = await signIn(new Browserless(t.base), url.href, spaRedirect, 'alice@example.com');
    const token = (origin: string) =>
      fetch(spaConfig.serverMetadata().token_endpoint!, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: spaRedirect, client_id: spa.client_id, code_verifier: verifier }),
      });
    const foreign = await token('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const own = await token('http://localhost:5174');
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe('http://localhost:5174');
    expect(((await own.json()) as { refresh_token?: string }).refresh_token).toBeTruthy();
  });

  it('serves the ?p= forms of authorize and token, form_post responses and prompt=select_account', async () => {
    const b = new Browserless(t.base);
    await codeFlow();
    const params = { client_id: web.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', p: 'B2C_1_signin' };
    const viaP = new URL(`${t.base}/contoso/oauth2/v2.0/authorize?${new URLSearchParams({ ...params, prompt: 'select_account' })}`);
    const callback = await signIn(b, viaP.href, redirectUri, 'alice@example.com');
    const token = await fetch(`${t.base}/contoso/oauth2/v2.0/token?p=b2c_1_signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: redirectUri, client_id: web.client_id, client_secret: web.client_secret! }),
    });
    expect(token.status).toBe(200);
    // ASP.NET Core and other server apps ask for form_post: an auto-submitting form whose script the CSP allows.
    const posted = await follow(b, `${t.base}/contoso/oauth2/v2.0/authorize?${new URLSearchParams({ ...params, response_mode: 'form_post' })}`, redirectUri);
    expect(posted.status).toBe(200);
    expect(posted.body).toContain(`action="${redirectUri}"`);
    expect(posted.body).toMatch(/name="code" value="[^"]+"/);
  });

  it('gives refresh tokens the flow lifetime and provider responses the security headers', async () => {
    const { tokens } = await codeFlow();
    const row = await t.nyckel.services.db.selectFrom('oidc_models').select('expires_at').where('model', '=', 'RefreshToken').where('account_id', '=', user.id).orderBy('expires_at', 'desc').executeTakeFirstOrThrow();
    const days = (row.expires_at!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);
    expect(tokens.expires_in).toBe(3600);
    const res = await fetch(config.serverMetadata().jwks_uri!);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
  });
});
