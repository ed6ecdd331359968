// Self-service sign-up ("Sign up and sign in" user flows) over HTTP: the mailbox is proven before the account
// exists, an existing account is revealed only after that proof, and creation is atomic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { Browserless, formOf, messageCodes } from '../fixtures/browserless.ts';
import { api, messageCodesOf, type FlowJson } from '../fixtures/reset-api.ts';

const BASE = '/contoso/B2C_1_susi/signup';
const PASSWORD = 'Fresh-Start-Pa55!';
const PROFILE = { display_name: 'Nora Lind', given_name: 'Nora', surname: 'Lind' };

describe('self-service sign-up', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ codes: { resendCooldownSeconds: 0 }, limits: { resetRequestsPerIp: 1000 } });
    await t.createUserFlow('B2C_1_susi', 'signUpOrSignIn');
    await t.createUserFlow('B2C_1_susi_name', 'signUpOrSignIn', { identityType: 'username' });
  });
  afterAll(async () => t.close());

  const newFlow = async (base = BASE): Promise<FlowJson> => {
    const res = await api(t, `${base}/api`, {});
    expect(res.status, res.text).toBe(201);
    return res.json;
  };
  const post = (id: string, body: unknown, base = BASE) => api(t, `${base}?flow=${id}`, body);

  /** identify → code → verified; returns the flow id in `details`. */
  async function verified(email: string, extra: Record<string, string> = {}, base = BASE): Promise<string> {
    const flow = await newFlow(base);
    const before = t.mail.length;
    expect((await post(flow.id, { action: 'send_code', email, ...extra }, base)).json.state).toBe('code_sent');
    const code = t.codeFrom(await t.waitForMail(email, { after: before }));
    const res = await post(flow.id, { action: 'verify_code', code }, base);
    expect(res.json.state, res.text).toBe('details');
    return flow.id;
  }

  const users = (email: string) => t.nyckel.store.db.selectFrom('users').selectAll().where('tenant_id', '=', t.tenant.id).where('email', '=', email).execute();

  async function signIn(identifier: string, password: string, policy = 'B2C_1_susi') {
    const flow = (await api(t, `/contoso/${policy}/signin/api`, {})).json;
    const res = await api(t, `/contoso/${policy}/signin?flow=${flow.id}`, { identifier, password });
    return res.json as FlowJson & { session_token?: string };
  }

  it('signs up through the hosted pages from "Sign up now", ends signed in, then signs in with the new account', async () => {
    const b = new Browserless(t.url);
    const signin = await b.get('/contoso/B2C_1_susi/signin');
    const link = /id="sign_up" href="([^"]+)"/.exec(signin.body)?.[1]?.replace(/&#38;/g, '&');
    expect(link).toContain('/contoso/B2C_1_susi/signup');
    let page = await b.get(link!);
    expect(page.url).toMatch(/\/signup\?flow=/);
    expect(page.body).toContain('Send verification code');
    let f = formOf(page.body);
    const before = t.mail.length;
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'send_code', email: ' Nora@Example.com ' });
    expect(messageCodes(page.body)).toContain('sign_up.code_sent');
    const mail = await t.waitForMail('nora@example.com', { after: before });
    expect(mail.subject).toBe('Contoso account verification code');
    f = formOf(page.body);
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'verify_code', code: t.codeFrom(mail) });
    expect(messageCodes(page.body)).toContain('sign_up.email_verified');
    expect(page.body).toContain('Display Name');
    f = formOf(page.body);
    const created = await b.postForm(f.action, { csrf_token: f.csrf, action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE });
    expect(created.status).toBe(303);
    expect(created.url).toBe('/contoso/B2C_1_susi/signed-in?ui_locales=en');
    expect(created.body).toContain('Signed in as Nora Lind.');

    const [user] = await users('nora@example.com');
    expect(user).toMatchObject({ email_verified: true, display_name: 'Nora Lind', given_name: 'Nora', surname: 'Lind', account_enabled: true });
    const identity = await t.nyckel.store.db.selectFrom('identities').selectAll().where('user_id', '=', user!.id).executeTakeFirstOrThrow();
    expect(identity).toMatchObject({ sign_in_type: 'emailAddress', issuer_assigned_id: 'Nora@Example.com', canonical_id: 'nora@example.com' });
    const events = await t.nyckel.store.db.selectFrom('audit_events').select(['type', 'target']).where('type', 'like', 'sign_up.%').execute();
    expect(events).toContainEqual({ type: 'sign_up.completed', target: `user:${user!.id}` });
    expect(JSON.stringify(events)).not.toContain(t.codeFrom(mail));

    expect((await signIn('nora@example.com', PASSWORD)).state).toBe('done');
    expect((await signIn('NORA@example.com', PASSWORD, 'B2C_1_signin')).state).toBe('done');
  });

  it('API flows: the JSON API alone creates the account and returns a session token', async () => {
    const id = await verified('api@example.com');
    const done = await post(id, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ id, type: 'sign_up', state: 'done' });
    expect((done.json as { session_token?: string }).session_token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    const session = await fetch(`${t.url}/contoso/B2C_1_susi/signed-in`, { headers: { accept: 'application/json', cookie: `nyckel-session-${t.tenant.id}=${(done.json as { session_token?: string }).session_token}` } });
    expect(((await session.json()) as { name: string }).name).toBe('Nora Lind');
  });

  it('inside an app sign-in (interaction) it returns to the app, signed in, in the customer\'s language', async () => {
    const b = new Browserless(t.url);
    let page = await b.get(`${BASE}?interaction=app-login-123456&ui_locales=sv`);
    expect(page.body).toContain('Registrera dig');
    expect(page.body).toContain('/contoso/B2C_1_susi/signin?ui_locales=sv&#38;interaction=app-login-123456');
    let f = formOf(page.body);
    const before = t.mail.length;
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'send_code', email: 'app@example.com' });
    const mail = await t.waitForMail('app@example.com', { after: before });
    expect(mail.subject).toBe('Verifieringskod för ditt konto hos Contoso');
    f = formOf(page.body);
    page = await b.postForm(f.action, { csrf_token: f.csrf, action: 'verify_code', code: t.codeFrom(mail) });
    f = formOf(page.body);
    const res = await b.request(f.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: f.csrf, action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/contoso/B2C_1_susi/interaction/app-login-123456/complete');
    expect([...b.cookies.keys()]).toContain(`nyckel-session-${t.tenant.id}`);
  });

  it('answers an existing address exactly like an unknown one, and says so only after verification', async () => {
    await t.createUser({ email: 'taken@example.com', password: 'Old-Passw0rd!x' });
    const shape = (res: Awaited<ReturnType<typeof api>>, id: string, email: string) => ({
      status: res.status,
      headers: Object.fromEntries([...res.headers].filter(([k]) => !['date', 'content-length', 'keep-alive', 'connection'].includes(k))),
      body: res.text.replaceAll(id, 'FLOW').replaceAll(email, 'EMAIL').replace(/"expires_at":"[^"]+"/, ''),
    });
    const shapes = [];
    const flows: Record<string, string> = {};
    for (const email of ['taken@example.com', 'unknown@example.com']) {
      const flow = await newFlow();
      flows[email] = flow.id;
      shapes.push(shape(await post(flow.id, { action: 'send_code', email }), flow.id, email));
    }
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[0]!.status).toBe(200);

    const code = t.codeFrom(await t.waitForMail('taken@example.com'));
    const res = await post(flows['taken@example.com']!, { action: 'verify_code', code });
    expect(res.status).toBe(409);
    expect(res.json.state).toBe('identify');
    expect(messageCodesOf(res.json)).toEqual(['sign_up.user_exists']);
    expect((await users('taken@example.com')).length).toBe(1);
    // The unknown address goes on to the details step.
    const other = await post(flows['unknown@example.com']!, { action: 'verify_code', code: t.codeFrom(await t.waitForMail('unknown@example.com')) });
    expect(other.json.state).toBe('details');
  });

  it('username flows: a taken username is revealed only after the mailbox is proven', async () => {
    await t.createUser({ email: 'olle@example.com', username: 'olle', password: 'Old-Passw0rd!x' });
    const base = '/contoso/B2C_1_susi_name/signup';
    const flow = await newFlow(base);
    expect(flow.ui.nodes.map((n) => n.name)).toContain('username');
    const sent = await post(flow.id, { action: 'send_code', username: 'Olle', email: 'olle2@example.com' }, base);
    expect(sent.json.state).toBe('code_sent');
    const code = t.codeFrom(await t.waitForMail('olle2@example.com'));
    const res = await post(flow.id, { action: 'verify_code', code }, base);
    expect(messageCodesOf(res.json)).toEqual(['sign_up.user_exists']);

    const id = await verified('pia@example.com', { username: 'Pia_S' }, base);
    const done = await post(id, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE }, base);
    expect(done.json.state).toBe('done');
    expect((await signIn('pia_s', PASSWORD, 'B2C_1_susi_name')).state).toBe('done');
  });

  it('handles a wrong code, an expired code and a new code', async () => {
    const flow = await newFlow();
    const before = t.mail.length;
    await post(flow.id, { action: 'send_code', email: 'wrong@example.com' });
    const code = t.codeFrom(await t.waitForMail('wrong@example.com', { after: before }));
    const wrong = await post(flow.id, { action: 'verify_code', code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.state).toBe('code_sent');
    expect(messageCodesOf(wrong.json)).toEqual(['sign_up.code_incorrect']);
    expect(messageCodesOf((await post(flow.id, { action: 'verify_code', code: '12ab' })).json)).toEqual(['sign_up.code_format']);

    await t.nyckel.store.db.updateTable('verification_codes').set({ expires_at: new Date(Date.now() - 1000) }).where('flow_id', '=', flow.id).execute();
    const late = await post(flow.id, { action: 'verify_code', code });
    expect(late.status).toBe(400);
    expect(messageCodesOf(late.json)).toEqual(['sign_up.code_expired']);

    const resent = await post(flow.id, { action: 'resend_code' });
    expect(resent.json.state).toBe('code_sent');
    const fresh = t.codeFrom(await t.waitForMail('wrong@example.com', { after: before + 1 }));
    expect((await post(flow.id, { action: 'verify_code', code: fresh })).json.state).toBe('details');
    expect(await users('wrong@example.com')).toEqual([]);
  });

  it('steps cannot be skipped or replayed; Change e-mail forgets the proof', async () => {
    const flow = await newFlow();
    const skip = await post(flow.id, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE });
    expect(skip.status).toBe(409);
    expect(skip.json.error?.code).toBe('flow.action_not_allowed');
    expect((await post(flow.id, { action: 'verify_code', code: '123456' })).status).toBe(409);

    const id = await verified('skip@example.com');
    const back = await post(id, { action: 'change_email' });
    expect(back.json.state).toBe('identify');
    expect((await post(id, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE })).status).toBe(409);
    expect(await users('skip@example.com')).toEqual([]);

    const again = await verified('replay@example.com');
    expect((await post(again, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE })).json.state).toBe('done');
    const replay = await post(again, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE });
    expect(replay.status).toBe(409);
    expect((await users('replay@example.com')).length).toBe(1);
  });

  it('checks required fields and the password policy, with context words from the form', async () => {
    const id = await verified('policy@example.com');
    const missing = await post(id, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, display_name: 'Sven', given_name: '  ', surname: 'Svensson' });
    expect(missing.status).toBe(400);
    expect(messageCodesOf(missing.json)).toEqual(['sign_up.missing_fields']);
    const givenName = missing.json.ui.nodes.find((n) => n.name === 'given_name') as { messages?: Array<{ code: string }> };
    expect(givenName.messages?.map((m) => m.code)).toEqual(['sign_up.required']);
    expect(missing.json.ui.nodes.find((n) => n.name === 'surname')?.value).toBe('Svensson');

    const cases: Array<[string, string, string]> = [
      ['short', 'Ab1!', 'password.too_short'],
      ['classes', 'alllowercase', 'password.too_simple'],
      ['mismatch', 'Good-Passw0rd!', 'password.mismatch'],
      ['common', 'Password123!', 'password.common'],
      ['tenant', 'Contoso-Rules-1', 'password.contains_context'],
      ['surname', 'Svensson-Rules-1', 'password.contains_context'],
      ['email', 'Policy-Rules-1!', 'password.contains_context'],
    ];
    for (const [label, password, code] of cases) {
      const r = await post(id, { action: 'create_account', password, confirm_password: label === 'mismatch' ? 'other' : password, display_name: 'Sven', given_name: 'Sven', surname: 'Svensson' });
      expect(r.status, label).toBe(400);
      expect(messageCodesOf(r.json), label).toEqual([code]);
    }
    expect(await users('policy@example.com')).toEqual([]);
  });

  it('parallel completions of one flow create exactly one user', async () => {
    const id = await verified('race@example.com');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(id, { action: 'create_account', password: `Winner-${i}-Pa55!`, confirm_password: `Winner-${i}-Pa55!`, ...PROFILE })),
    );
    expect(results.filter((r) => r.status === 200 && r.json.state === 'done')).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    const [user, ...others] = await users('race@example.com');
    expect(others).toEqual([]);
    const completed = await t.nyckel.store.db.selectFrom('audit_events').select('target').where('type', '=', 'sign_up.completed').execute();
    expect(completed.filter((e) => e.target === `user:${user!.id}`)).toHaveLength(1);
  });

  it('parallel sign-ups for one address: one account, the others get "user exists" — never a 500', async () => {
    const ids = [await verified('twin@example.com'), await verified('twin@example.com'), await verified('twin@example.com')];
    const results = await Promise.all(ids.map((id) => post(id, { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.json.state).toBe('identify');
      expect(messageCodesOf(r.json)).toEqual(['sign_up.user_exists']);
    }
    expect((await users('twin@example.com')).length).toBe(1);
    const identities = await t.nyckel.store.db.selectFrom('identities').select('id').where('canonical_id', '=', 'twin@example.com').execute();
    expect(identities).toHaveLength(1);
  });

  it('refuses bad input with 400 request.invalid and writes nothing', async () => {
    const count = async () => Number((await t.nyckel.store.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const id = await verified('hostile@example.com');
    const good = { action: 'create_account', password: PASSWORD, confirm_password: PASSWORD, ...PROFILE };
    const bodies: Array<[string, string]> = ([
      ['array', { ...good, display_name: ['a', 'b'] }],
      ['object', { ...good, surname: { $ne: '' } }],
      ['number', { ...good, given_name: 42 }],
      ['unknown action', { ...good, action: 'make_admin' }],
      ['extra field', { ...good, account_enabled: true }],
      ['oversized name', { ...good, display_name: 'x'.repeat(300) }],
      ['oversized password', { ...good, password: 'x'.repeat(5000) }],
      ['control chars', { ...good, given_name: 'Nora\nBcc: x@example.com' }],
      ['bidi override', { ...good, display_name: 'admin\u202etxt.exe' }],
      ['email array', { action: 'send_code', email: ['a@example.com', 'b@example.com'] }],
      ['not an object', 'create_account'],
    ] as Array<[string, unknown]>).map(([label, body]) => [label, JSON.stringify(body)]);
    bodies.push(['broken JSON', '{"action": "create_account", ']);
    for (const [label, body] of bodies) {
      const res = await api(t, `${BASE}?flow=${id}`, body);
      expect(res.status, `${label}: ${res.text.slice(0, 200)}`).toBe(400);
      expect(res.json.error?.code, label).toBe('request.invalid');
    }
    const repeated = await fetch(`${t.url}${BASE}?flow=${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'action=create_account&display_name=a&display_name=b',
    });
    expect(repeated.status).toBe(400);
    expect((await api(t, `${BASE}/api?interaction=${'x'.repeat(5)}`, {})).status).toBe(400);
    expect(await count()).toBe(before);
    // The flow is untouched by the refused requests.
    expect((await api(t, `${BASE}?flow=${id}`)).json.state).toBe('details');
  });

  it('needs the CSRF token on browser flows', async () => {
    const b = new Browserless(t.url);
    const page = await b.get(BASE);
    const { action } = formOf(page.body);
    const res = await b.request(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: 'action=send_code&email=csrf%40example.com' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('csrf.invalid');
  });

  it('is only offered by "Sign up and sign in" user flows', async () => {
    const b = new Browserless(t.url);
    expect((await b.get('/contoso/B2C_1_signin/signin')).body).not.toContain('id="sign_up"');
    const page = await b.get('/contoso/B2C_1_signin/signup');
    expect(page.res.status).toBe(403);
    expect(messageCodes(page.body)).toEqual(['sign_up.disabled_for_policy']);
    const res = await api(t, '/contoso/B2C_1_signin/signup/api', {});
    expect(res.status).toBe(403);
    expect(res.json.error?.code).toBe('sign_up.disabled_for_policy');
    expect((await api(t, '/contoso/B2C_1_nope/signup/api', {})).status).toBe(404);
  });
});
