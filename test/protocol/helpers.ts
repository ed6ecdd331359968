// Shared pieces of the protocol suites: a test app whose public URL is its real listening address (so
// discovery points at it), admin API calls, and a browser that signs in through the hosted pages.
import { createServer } from 'node:net';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf } from '../fixtures/browserless.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createAdminToken } from '../../src/admin/auth.ts';

export const PASSWORD = 'Old-Passw0rd!x';
export const NEW_PASSWORD = 'Brand-New-Pa55!';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ProtocolApp extends TestApp {
  base: string;
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
}

/** A test app reachable at its public URL: http://127.0.0.1:PORT, or https://localhost:PORT with TLS. */
export async function startProtocolApp(overrides: ConfigInput = {}, tls?: { cert: string; key: string }): Promise<ProtocolApp> {
  const port = await freePort();
  const base = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  const t = await startTestApp({ port, publicUrl: base, ...(tls ? { tlsCert: tls.cert, tlsKey: tls.key } : {}), ...overrides });
  const token = await createAdminToken(t.nyckel.services.db, 'protocol-tests');
  return {
    ...t,
    base,
    async admin(method, path, body) {
      const res = await fetch(new URL(path, base), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: (await res.json()) as never };
    },
  };
}

export async function createApp(t: ProtocolApp, type: 'web' | 'spa' | 'native', redirectUris: string[]) {
  const res = await t.admin<{ client_id: string; client_secret?: string }>('POST', `/admin/api/tenants/contoso/applications`, { name: `${type} app`, type, redirectUris });
  if (res.status !== 201) throw new Error(`application not created: ${JSON.stringify(res.json)}`);
  return res.json;
}

/** Follows redirects by hand until the browser would leave for `target` (the app's redirect URI). */
export async function follow(b: Browserless, url: string, target: string): Promise<{ url: string; body?: string; status?: number }> {
  let next = url;
  for (let i = 0; i < 12; i++) {
    if (next.startsWith(target)) return { url: next };
    const res = await b.request(next);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      next = new URL(location, next.startsWith('http') ? next : b.base).href;
      continue;
    }
    return { url: next, body: await res.text(), status: res.status };
  }
  throw new Error('too many redirects');
}

/** Opens an authorize URL, signs in on the hosted page, and returns the redirect to the app. */
export async function signIn(b: Browserless, authorizeUrl: string, redirectUri: string, identifier: string, password = PASSWORD): Promise<URL> {
  const page = await follow(b, authorizeUrl, redirectUri);
  if (!page.body) return new URL(page.url);
  const f = formOf(page.body);
  if (!f.action) throw new Error(`no sign-in form at ${page.url}: ${page.status} ${page.body.slice(0, 300)}`);
  const posted = await b.request(f.action, { method: 'POST', body: new URLSearchParams({ csrf_token: f.csrf, identifier, password }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const location = posted.headers.get('location');
  if (!location) throw new Error(`sign-in did not redirect: ${posted.status} ${(await posted.text()).slice(0, 500)}`);
  const done = await follow(b, new URL(location, b.base).href, redirectUri);
  if (done.body !== undefined) throw new Error(`did not return to the app: ${done.url} ${done.status} ${done.body.slice(0, 500)}`);
  return new URL(done.url);
}

/** Completes the hosted password reset from its first page; returns the "Continue" link of the done page. */
export async function resetPassword(t: TestApp, b: Browserless, firstPage: string, email: string, password = NEW_PASSWORD): Promise<string> {
  const post = async (body: string, form: Record<string, string>) => {
    const f = formOf(body);
    const res = await b.request(f.action, { method: 'POST', body: new URLSearchParams({ csrf_token: f.csrf, ...form }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const location = res.headers.get('location');
    return location ? (await b.get(location)).body : await res.text();
  };
  const sent = t.mail.length;
  let page = await post(firstPage, { action: 'send_code', email });
  const code = t.codeFrom(await t.waitForMail(email, { after: sent }));
  page = await post(page, { action: 'verify_code', code });
  page = await post(page, { action: 'set_password', password, confirm_password: password });
  const link = /id="continue" href="([^"]+)"/.exec(page)?.[1]?.replace(/&#38;/g, '&');
  if (!link) throw new Error(`reset did not finish: ${page.slice(0, 800)}`);
  return link;
}
