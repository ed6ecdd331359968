// The seed scenario over HTTP, end to end, plus the outcomes after verification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf, messageCodes } from '../fixtures/browserless.ts';
import { messageCodesOf, newResetFlow, submit, verifiedFlow } from '../fixtures/reset-api.ts';
import * as ops from '../../src/admin/operations.ts';

const OLD = 'Old-Passw0rd!x';
const NEW = 'Brand-New-Pa55!';

async function signIn(t: TestApp, email: string, password: string) {
  const b = new Browserless(t.url);
  const page = await b.get('/contoso/B2C_1_signin/signin');
  const f = formOf(page.body);
  const r = await b.postForm(f.action, { csrf_token: f.csrf, identifier: email, password });
  return { ok: new URL(r.url, t.url).pathname.endsWith('/signed-in'), codes: messageCodes(r.body), browser: b, body: r.body };
}

describe('self-service password reset', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('hides "Forgot your password?" while SSPR is None and refuses to start a reset', async () => {
    const b = new Browserless(t.url);
    const page = await b.get('/contoso/B2C_1_signin/signin');
    expect(page.body).not.toContain('Forgot your password?');
    const reset = await b.get('/contoso/B2C_1_signin/password-reset');
    expect(reset.res.status).toBe(403);
    expect(messageCodes(reset.body)).toContain('password_reset.disabled_for_tenant');
  });

  it('resets a password through the hosted pages; old password fails, new works, sessions end, notice mailed, audited', async () => {
    const user = await t.createUser({ email: 'alice@example.com', password: OLD, displayName: 'Alice' });
    await t.setSspr('all');
    const before = await signIn(t, 'alice@example.com', OLD);
    expect(before.ok).toBe(true);

    const b = new Browserless(t.url);
    const signin = await b.get('/contoso/B2C_1_signin/signin');
    const link = /id="forgot_password" href="([^"]+)"/.exec(signin.body)?.[1]?.replace(/&#38;/g, '&');
    expect(link).toBeTruthy();
    let page = await b.get(link!);
    expect(page.body).toContain('Send verification code');
    let f = formOf(page.body);
    const mailsBefore = t.mail.length;
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'send_code', email: ' Alice@Example.com ' });
    expect(messageCodes(page.body)).toContain('password_reset.code_sent');
    const code = t.codeFrom(await t.waitForMail('alice@example.com', { after: mailsBefore }));
    f = formOf(page.body);
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'verify_code', code });
    expect(messageCodes(page.body)).toContain('password_reset.email_verified');
    f = formOf(page.body);
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'set_password', password: NEW, confirm_password: NEW });
    expect(page.body).toContain('<h1>Password changed</h1>');
    expect(page.body).toContain('href="/contoso/B2C_1_signin/signin?ui_locales=en"');

    expect((await signIn(t, 'alice@example.com', OLD)).codes).toContain('sign_in.invalid_credentials');
    expect((await signIn(t, 'alice@example.com', NEW)).ok).toBe(true);
    // The session opened before the reset has ended.
    const old = await before.browser.get('/contoso/B2C_1_signin/signed-in');
    expect(old.url).toContain('/signin');

    const notice = await t.waitForMail('alice@example.com', { after: mailsBefore + 1 });
    expect(notice.subject).toMatch(/password/i);
    expect(notice.text).not.toMatch(/\b\d{6}\b/);
    const events = await t.nyckel.store.db.selectFrom('audit_events').select(['type', 'target']).where('tenant_id', '=', t.tenant.id).execute();
    expect(events).toContainEqual({ type: 'password_reset.completed', target: `user:${user.id}` });
    expect(JSON.stringify(events)).not.toContain(code);
  });

  it('after verification: unknown account, disabled account and not-selected user each get their message', async () => {
    const unknown = await verifiedFlow(t, 'nobody@example.com').catch((e: Error) => e.message);
    expect(unknown).toContain('password_reset.account_not_found');

    const disabled = await t.createUser({ email: 'dora@example.com', password: OLD, accountEnabled: false });
    expect(disabled.id).toBeTruthy();
    expect(await verifiedFlow(t, 'dora@example.com').catch((e: Error) => e.message)).toContain('password_reset.account_disabled');

    const d = { db: t.nyckel.store.db, hasher: t.nyckel.services.hasher };
    await ops.groupCreate(d, { name: 't' }, 'contoso', 'Helpdesk-OK');
    await t.createUser({ email: 'gina@example.com', password: OLD });
    await t.createUser({ email: 'hank@example.com', password: OLD });
    await ops.groupAdd(d, { name: 't' }, 'contoso', 'Helpdesk-OK', 'gina@example.com');
    await t.setSspr('selected', ['helpdesk-ok']);
    expect(await verifiedFlow(t, 'hank@example.com').catch((e: Error) => e.message)).toContain('password_reset.not_enabled');
    expect(await verifiedFlow(t, 'gina@example.com')).toMatch(/^[A-Za-z0-9_-]+$/);
    await t.setSspr('all');
  });

  it('checks the new password against the Strong preset, the blocklist and context words', async () => {
    await t.createUser({ email: 'ivan@example.com', password: OLD });
    const id = await verifiedFlow(t, 'ivan@example.com');
    const cases: Array<[string, string, string]> = [
      ['short', 'Ab1!', 'password.too_short'],
      ['classes', 'alllowercase', 'password.too_simple'],
      ['mismatch', 'Good-Passw0rd!', 'password.mismatch'],
      ['common', 'Password123!', 'password.common'],
      ['context', 'Contoso-Rules-1', 'password.contains_context'],
    ];
    for (const [label, password, code] of cases) {
      const r = await submit(t, { id }, { action: 'set_password', password, confirm_password: label === 'mismatch' ? 'other' : password });
      expect(r.status, label).toBe(400);
      expect(messageCodesOf(r.json), label).toContain(code);
    }
  });

  it('steps cannot be skipped or replayed', async () => {
    const flow = await newResetFlow(t);
    const skip = await submit(t, flow, { action: 'set_password', password: NEW, confirm_password: NEW });
    expect(skip.status).toBe(409);
    expect(skip.json.error?.code).toBe('flow.action_not_allowed');
    const verify = await submit(t, flow, { action: 'verify_code', code: '123456' });
    expect(verify.status).toBe(409);

    await t.createUser({ email: 'jane@example.com', password: OLD });
    const id = await verifiedFlow(t, 'jane@example.com');
    const done = await submit(t, { id }, { action: 'set_password', password: NEW, confirm_password: NEW });
    expect(done.json.state).toBe('done');
    const replay = await submit(t, { id }, { action: 'set_password', password: 'Another-Pa55!', confirm_password: 'Another-Pa55!' });
    expect(replay.status).toBe(409);
  });

  it('Change e-mail returns to the first step and kills the code', async () => {
    const flow = await newResetFlow(t);
    const before = t.mail.length;
    await submit(t, flow, { action: 'send_code', email: 'kim@example.com' });
    const code = t.codeFrom(await t.waitForMail('kim@example.com', { after: before }));
    const back = await submit(t, flow, { action: 'change_email' });
    expect(back.json.state).toBe('identify');
    const verify = await submit(t, flow, { action: 'verify_code', code });
    expect(verify.status).toBe(409);
  });

  it('speaks Swedish with ui_locales=sv and Accept-Language', async () => {
    const b = new Browserless(t.url);
    const sv = await b.get('/contoso/B2C_1_signin/signin?ui_locales=sv');
    expect(sv.body).toContain('Har du glömt lösenordet?');
    expect(sv.body).toContain('lang="sv"');
    const accept = await new Browserless(t.url).get('/contoso/B2C_1_signin/password-reset', { 'accept-language': 'sv-SE,sv;q=0.9,en;q=0.5' });
    expect(accept.body).toContain('Skicka verifieringskod');
  });

  it('username flows need username and email to match the same account', async () => {
    const d = { db: t.nyckel.store.db, hasher: t.nyckel.services.hasher };
    const { insertUserFlow } = await import('../../src/store/queries/user-flows.ts');
    await insertUserFlow(d.db, { id: crypto.randomUUID(), tenant_id: t.tenant.id, name: 'B2C_1_username', type: 'signIn', settings: { identityType: 'username' } });
    await t.createUser({ email: 'lena@example.com', username: 'lena', password: OLD });
    const run = async (username: string, email: string) => {
      const flow = (await (await fetch(`${t.url}/contoso/b2c_1_username/password-reset/api`, { method: 'POST', headers: { accept: 'application/json' } })).json()) as { id: string };
      const base = `${t.url}/contoso/B2C_1_username/password-reset?flow=${flow.id}`;
      const post = async (body: object) => (await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ state: string; ui: { messages: Array<{ code: string }> } }>;
      const before = t.mail.length;
      await post({ action: 'send_code', username, email });
      const code = t.codeFrom(await t.waitForMail(email, { after: before }));
      return post({ action: 'verify_code', code });
    };
    expect((await run('lena', 'lena@example.com')).state).toBe('new_password');
    const wrong = await run('lena', 'someone-else@example.com');
    expect(wrong.state).toBe('unavailable');
    expect(wrong.ui.messages.map((m) => m.code)).toContain('password_reset.account_not_found');
  });
});
