// Every protocol endpoint answers bad input with the protocol's error (B2C's AADB2C code in the description),
// never a 500: unknown tenants and policies, missing or repeated parameters, unregistered redirect URIs,
// wrong PKCE, wrong secrets, hostile bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Browserless } from '../fixtures/browserless.ts';
import { createApp, signIn, startProtocolApp, PASSWORD, type ProtocolApp } from './helpers.ts';

const redirectUri = 'http://localhost:4000/cb';
const spaRedirect = 'http://localhost:4001/spa';
const b64 = (b: Buffer) => b.toString('base64url');

describe('protocol endpoints refuse bad input with protocol errors', () => {
  let t: ProtocolApp;
  let web: { client_id: string; client_secret?: string };
  let spa: { client_id: string };
  const p = '/contoso/B2C_1_signin';

  beforeAll(async () => {
    t = await startProtocolApp();
    await t.createUser({ email: 'dave@example.com', password: PASSWORD });
    web = await createApp(t, 'web', [redirectUri]);
    spa = await createApp(t, 'spa', [spaRedirect]);
  });
  afterAll(async () => t?.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, t.base), { redirect: 'manual', headers });
  const post = (path: string, form: Record<string, string> | string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, t.base), { method: 'POST', redirect: 'manual', body: typeof form === 'string' ? form : new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const json = async (res: Response) => (await res.json()) as { error: string; error_description: string };
  const authorize = (params: Record<string, string>) => `${p}/oauth2/v2.0/authorize?${new URLSearchParams(params)}`;
  const base = () => ({ client_id: web.client_id, redirect_uri: redirectUri, response_type: 'code', scope: 'openid' });

  async function code(clientId: string, redirect: string, challenge?: string) {
    const url = authorize({ client_id: clientId, redirect_uri: redirect, response_type: 'code', scope: 'openid', ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}) });
    return (await signIn(new Browserless(t.base), new URL(url, t.base).href, redirect, 'dave@example.com')).searchParams.get('code')!;
  }

  it('unknown tenant or policy: 404 with AADB2C90022, on every endpoint shape', async () => {
    for (const path of [
      '/fabrikam/B2C_1_signin/v2.0/.well-known/openid-configuration',
      '/contoso/B2C_1_nope/v2.0/.well-known/openid-configuration',
      '/contoso/v2.0/.well-known/openid-configuration?p=B2C_1_nope',
      '/contoso/B2C_1_nope/discovery/v2.0/keys',
      `/contoso/B2C_1_nope/oauth2/v2.0/authorize?client_id=${web.client_id}`,
      '/00000000-0000-4000-8000-000000000000/B2C_1_signin/oauth2/v2.0/logout',
    ]) {
      const res = await get(path, { accept: 'application/json' });
      expect(res.status, path).toBe(404);
      expect((await json(res)).error_description, path).toMatch(/^AADB2C90022:/);
    }
    const res = await post('/nope.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/token', { grant_type: 'authorization_code' });
    expect(res.status).toBe(404);
    const page = await get('/contoso/B2C_1_nope/oauth2/v2.0/authorize', { accept: 'text/html' });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('AADB2C90022');
  });

  it('?p= must be given exactly once', async () => {
    expect((await get('/contoso/oauth2/v2.0/authorize?client_id=x')).status).toBe(400);
    const twice = await get('/contoso/v2.0/.well-known/openid-configuration?p=B2C_1_signin&p=B2C_1_signin');
    expect(twice.status).toBe(400);
    expect((await json(twice)).error).toBe('invalid_request');
  });

  it('authorize: no client id, unknown client, unregistered redirect URI are shown, never redirected', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base(), client_id: '' }, /AADB2C90008/],
      [{ ...base(), client_id: crypto.randomUUID() }, /AADB2C90018/],
      [{ ...base(), redirect_uri: 'https://evil.example/cb' }, /AADB2C90006/],
      [{ ...base(), redirect_uri: `${redirectUri}/` }, /AADB2C90006/],
    ];
    for (const [params, description] of cases) {
      const res = await get(authorize(params), { accept: 'text/html' });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toMatch(description);
    }
  });

  it('authorize: repeated or hostile parameters are refused', async () => {
    const dup = await get(`${authorize(base())}&scope=openid`);
    expect(dup.status).toBe(303);
    const location = new URL(dup.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/scope/);
    const dupClient = await get(`${authorize(base())}&client_id=${web.client_id}`, { accept: 'text/html' });
    expect(dupClient.status).toBe(400);
    const nul = await get(`${authorize(base())}&state=%00`, { accept: 'application/json' });
    expect(nul.status).toBe(400);
    expect((await json(nul)).error_description).toMatch(/AADB2C90122/);
  });

  it('authorize: errors after a valid redirect URI go back to the app', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...base(), response_type: 'token' }, 'unsupported_response_type'],
      [{ client_id: spa.client_id, redirect_uri: spaRedirect, response_type: 'code', scope: 'openid' }, 'invalid_request'],
      [{ client_id: spa.client_id, redirect_uri: spaRedirect, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
      [{ ...base(), prompt: 'bogus' }, 'invalid_request'],
    ];
    for (const [params, error] of cases) {
      const res = await get(authorize(params));
      expect(res.status, JSON.stringify(params)).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(params.redirect_uri);
      // response_type=token would answer in the fragment
      expect(location.searchParams.get('error') ?? new URLSearchParams(location.hash.slice(1)).get('error')).toBe(error);
    }
    const pkce = new URL((await get(authorize({ client_id: spa.client_id, redirect_uri: spaRedirect, response_type: 'code', scope: 'openid' }))).headers.get('location')!);
    expect(pkce.searchParams.get('error_description')).toMatch(/^AADB2C99059/);
  });

  it('token: wrong PKCE verifier, wrong secret, wrong policy, reused code', async () => {
    const verifier = b64(randomBytes(32));
    const spaCode = await code(spa.client_id, spaRedirect, b64(createHash('sha256').update(verifier).digest()));
    const wrong = await post(`${p}/oauth2/v2.0/token`, { grant_type: 'authorization_code', code: spaCode, redirect_uri: spaRedirect, client_id: spa.client_id, code_verifier: b64(randomBytes(32)) });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error).toBe('invalid_grant');

    const webCode = await code(web.client_id, redirectUri);
    const badSecret = await post(`${p}/oauth2/v2.0/token`, { grant_type: 'authorization_code', code: webCode, redirect_uri: redirectUri, client_id: web.client_id, client_secret: 'not-the-secret' });
    expect(badSecret.status).toBe(401);
    expect((await json(badSecret)).error_description).toMatch(/^AADB2C90081/);

    await t.admin('POST', '/admin/api/tenants/contoso/user-flows', { name: 'other', type: 'signIn' });
    const other = await post('/contoso/B2C_1_other/oauth2/v2.0/token', { grant_type: 'authorization_code', code: webCode, redirect_uri: redirectUri, client_id: web.client_id, client_secret: web.client_secret! });
    expect(other.status).toBe(400);
    expect((await json(other)).error_description).toMatch(/^AADB2C90088/);

    const again = await post(`${p}/oauth2/v2.0/token`, { grant_type: 'authorization_code', code: webCode, redirect_uri: redirectUri, client_id: web.client_id, client_secret: web.client_secret! });
    expect(again.status).toBe(400);
    expect((await json(again)).error).toBe('invalid_grant');
  });

  it('token: missing, repeated, unsupported and hostile parameters', async () => {
    const auth = { client_id: web.client_id, client_secret: web.client_secret! };
    const cases: Array<[Record<string, string> | string, number, string]> = [
      [{ ...auth }, 400, 'invalid_request'],
      [{ ...auth, grant_type: 'password', username: 'x', password: 'y' }, 400, 'unsupported_grant_type'],
      [{ ...auth, grant_type: 'authorization_code', redirect_uri: redirectUri }, 400, 'invalid_request'],
      [{ ...auth, grant_type: 'authorization_code', code: 'a\u0000b', redirect_uri: redirectUri }, 400, 'invalid_grant'],
      [{ ...auth, grant_type: 'authorization_code', code: 'x'.repeat(5000), redirect_uri: redirectUri }, 400, 'invalid_grant'],
      [{ ...auth, grant_type: 'refresh_token', refresh_token: 'nope' }, 400, 'invalid_grant'],
      [`grant_type=authorization_code&grant_type=refresh_token&client_id=${web.client_id}&client_secret=${web.client_secret}`, 400, 'invalid_request'],
      [{ grant_type: 'authorization_code', code: 'x', redirect_uri: redirectUri, client_id: web.client_id }, 401, 'invalid_client'],
    ];
    for (const [form, status, error] of cases) {
      const res = await post(`${p}/oauth2/v2.0/token`, form);
      expect(res.status, JSON.stringify(form)).toBe(status);
      expect((await json(res)).error, JSON.stringify(form)).toBe(error);
    }
    const asJson = await fetch(new URL(`${p}/oauth2/v2.0/token`, t.base), { method: 'POST', body: JSON.stringify({ grant_type: 'authorization_code' }), headers: { 'content-type': 'application/json' } });
    expect(asJson.status).toBe(400);
    const huge = await post(`${p}/oauth2/v2.0/token`, `grant_type=refresh_token&refresh_token=${'x'.repeat(70_000)}`);
    expect(huge.status).toBeLessThan(500);
    expect(huge.status).toBeGreaterThanOrEqual(400);
  });

  it('userinfo, logout, resume and interaction pages: errors, not faults', async () => {
    expect((await get(`${p}/openid/v2.0/userinfo`)).status).toBe(401);
    expect((await get(`${p}/openid/v2.0/userinfo`, { authorization: 'Bearer garbage' })).status).toBe(401);
    const logout = await get(`${p}/oauth2/v2.0/logout?client_id=${web.client_id}&post_logout_redirect_uri=https://evil.example/`, { accept: 'application/json' });
    expect(logout.status).toBe(400);
    expect((await get(`${p}/oauth2/v2.0/logout?id_token_hint=not.a.jwt`, { accept: 'application/json' })).status).toBe(400);
    expect((await get(`${p}/oauth2/v2.0/authorize/abcdefghijklmnop`, { accept: 'application/json' })).status).toBe(400);
    expect((await get(`${p}/oauth2/v2.0/authorize/x`, { accept: 'application/json' })).status).toBe(400);
    expect((await post(`${p}/oauth2/v2.0/logout/confirm`, { xsrf: 'nope', logout: 'yes' }, { accept: 'application/json' })).status).toBe(400);
    for (const suffix of ['', '/complete', '/forgot-password', '/cancel']) {
      const res = await get(`${p}/interaction/abcdefghijklmnopq${suffix}`, { accept: 'application/json' });
      expect(res.status, suffix).toBe(400);
    }
    expect((await get(`${p}/interaction/..%2f..${'/complete'}`)).status).toBeLessThan(500);
    expect((await post(`${p}/oauth2/v2.0/revoke`, { token: 'x', client_id: web.client_id, client_secret: web.client_secret! })).status).toBe(200);
  });

  it('admin: applications and user flows are validated', async () => {
    const bad: Array<[string, string, unknown]> = [
      ['POST', '/admin/api/tenants/contoso/applications', { name: 'x', type: 'web', redirectUris: ['http://example.com/cb'] }],
      ['POST', '/admin/api/tenants/contoso/applications', { name: 'x', type: 'web', redirectUris: ['https://example.com/cb#frag'] }],
      ['POST', '/admin/api/tenants/contoso/applications', { name: 'x', type: 'daemon', redirectUris: ['https://example.com/cb'] }],
      ['POST', '/admin/api/tenants/contoso/applications', { name: 'x', type: 'spa', redirectUris: [] }],
      ['POST', '/admin/api/tenants/contoso/user-flows', { name: 'bad name!', type: 'signIn' }],
      ['POST', '/admin/api/tenants/contoso/user-flows', { name: 'x', type: 'signIn', settings: { tokenLifetimes: { idTokenMinutes: 2 } } }],
      ['PATCH', '/admin/api/tenants/contoso/user-flows/B2C_1_signin', { settings: { passwordReset: 'sometimes' } }],
      ['PATCH', '/admin/api/tenants/contoso/user-flows/B2C_1_nope', { settings: {} }],
    ];
    for (const [method, path, body] of bad) {
      const res = await t.admin(method, path, body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
    }
    const native = await t.admin<{ client_id: string; client_secret?: string }>('POST', '/admin/api/tenants/contoso/applications', { name: 'n', type: 'native', redirectUris: ['com.example.app://auth'] });
    expect(native.status).toBe(201);
    expect(native.json.client_secret).toBeUndefined();
  });
});
