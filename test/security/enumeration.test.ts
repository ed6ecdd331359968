// SECURITY.md "Requesting a reset": same status, body and headers for an existing, unknown or disabled
// account; the request changes nothing on the account; throttling looks the same for real and unknown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf } from '../fixtures/browserless.ts';
import { newResetFlow, submit } from '../fixtures/reset-api.ts';

const VOLATILE_HEADERS = ['date', 'set-cookie', 'content-length', 'keep-alive', 'connection'];

/** The response with what legitimately differs (flow id, expiry time, the echoed address) masked. */
function shape(res: { status: number; headers: Headers; text: string }, flowId: string, email: string) {
  const headers = Object.fromEntries([...res.headers].filter(([k]) => !VOLATILE_HEADERS.includes(k)));
  return { status: res.status, headers, body: res.text.replaceAll(flowId, 'FLOW').replaceAll(email, 'EMAIL').replace(/"expires_at":"[^"]+"/, '') };
}

describe('reset request does not tell accounts apart', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ limits: { codesPerAddressPerHour: 3 } });
    await t.setSspr('all');
    await t.createUser({ email: 'real@example.com', password: 'Old-Passw0rd!x' });
    await t.createUser({ email: 'off@example.com', password: 'Old-Passw0rd!x', accountEnabled: false });
  });
  afterAll(async () => t.close());

  it('answers existing, unknown and disabled addresses identically (JSON API)', async () => {
    const shapes = [];
    for (const email of ['real@example.com', 'ghost@example.com', 'off@example.com']) {
      const flow = await newResetFlow(t);
      const res = await submit(t, flow, { action: 'send_code', email });
      shapes.push(shape(res, flow.id, email));
    }
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
    // …and a code is mailed to each: the mailbox is proven before any account is looked up.
    for (const to of ['real@example.com', 'ghost@example.com', 'off@example.com']) await t.waitForMail(to);
  });

  it('answers identically on the hosted pages', async () => {
    const pages = [];
    for (const email of ['real@example.com', 'ghost2@example.com']) {
      const b = new Browserless(t.url);
      const page = await b.get('/contoso/B2C_1_signin/password-reset');
      const f = formOf(page.body);
      const flowId = new URL(f.action, t.url).searchParams.get('flow')!;
      const r = await b.postForm(f.action, { csrf_token: f.csrf, action: 'send_code', email });
      pages.push({ status: r.status, body: r.body.replaceAll(flowId, 'FLOW').replaceAll(f.csrf, 'CSRF').replace(/value="[^"]*@example.com"/, '') });
    }
    expect(pages[1]).toEqual(pages[0]);
  });

  it('changes nothing on the account', async () => {
    const db = t.nyckel.store.db;
    const before = await db.selectFrom('users').selectAll().where('email', '=', 'real@example.com').executeTakeFirstOrThrow();
    const flow = await newResetFlow(t);
    await submit(t, flow, { action: 'send_code', email: 'real@example.com' });
    const after = await db.selectFrom('users').selectAll().where('email', '=', 'real@example.com').executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });

  it('throttles per address across IPs, and looks the same for real and unknown addresses', async () => {
    const exhaust = async (email: string) => {
      const results = [];
      for (let i = 0; i < 5; i++) {
        const flow = await newResetFlow(t);
        // A different client IP each time: the per-address limit must still hold (trustProxy is off, so the
        // header is ignored for the IP, and the address key does not involve the IP at all).
        const res = await submit(t, flow, { action: 'send_code', email }, { 'x-forwarded-for': `10.0.0.${i}` });
        results.push(shape(res, flow.id, email));
      }
      return results;
    };
    const real = await exhaust('real+limit@example.com');
    const ghost = await exhaust('ghost+limit@example.com');
    expect(real.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    expect(ghost).toEqual(real);
  });
});
