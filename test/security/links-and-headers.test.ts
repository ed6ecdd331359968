// SECURITY.md: links in mails come from the configured public origin, never from Host / X-Forwarded-* /
// Forwarded; hosted pages carry a strict CSP, no framing and no referrer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { submit, verifiedFlow } from '../fixtures/reset-api.ts';

describe('links and headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ publicUrl: 'https://login.contoso.test' });
    await t.setSspr('all');
    await t.createUser({ email: 'links@example.com', password: 'Old-Passw0rd!x' });
  });
  afterAll(async () => t.close());

  it('builds mail links from the public origin whatever Host and X-Forwarded-Host say', async () => {
    const hostile = { 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example;proto=http', 'x-forwarded-proto': 'http' };
    const id = await verifiedFlow(t, 'links@example.com');
    const before = t.mail.length;
    // fetch cannot override Host, so send the request with node:http to set it.
    const { request } = await import('node:http');
    const url = new URL(`${t.url}/contoso/B2C_1_signin/password-reset?flow=${id}`);
    const body = JSON.stringify({ action: 'set_password', password: 'Brand-New-Pa55!', confirm_password: 'Brand-New-Pa55!' });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { ...hostile, host: 'evil.example', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const notice = await t.waitForMail('links@example.com', { after: before });
    expect(notice.text).toContain('https://login.contoso.test/contoso/B2C_1_signin/password-reset');
    expect(notice.text + notice.html).not.toContain('evil.example');
  });

  it('serves hosted pages with CSP, frame-ancestors none and no referrer', async () => {
    const res = await fetch(`${t.url}/contoso/B2C_1_signin/signin`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).not.toContain('<script');
  });

  it('does not let a submission carry a hidden second identifier (header injection / lists)', async () => {
    const flow = await (await fetch(`${t.url}/contoso/B2C_1_signin/password-reset/api`, { method: 'POST', headers: { accept: 'application/json' } })).json() as { id: string };
    for (const email of ['a@example.com\r\nBcc: victim@example.com', 'a@example.com, b@example.com', 'a@example.com;b@example.com']) {
      const res = await submit(t, flow, { action: 'send_code', email });
      expect(res.status).toBe(400);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(t.mail.some((m) => m.to.includes('b@example.com') || m.to.includes('victim'))).toBe(false);
  });
});
