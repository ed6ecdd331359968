// Sign-in: one generic message, lockout per account (also for unknown accounts) and per IP, and a reset
// that the lockout cannot block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { submit, verifiedFlow } from '../fixtures/reset-api.ts';

describe('sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ limits: { signInFailuresPerAccount: 3 } });
    await t.setSspr('all');
    await t.createUser({ email: 'sam@example.com', password: 'Right-Passw0rd!' });
    await t.createUser({ email: 'off@example.com', password: 'Right-Passw0rd!', accountEnabled: false });
  });
  afterAll(async () => t.close());

  async function attempt(identifier: string, password: string) {
    const flow = (await (await fetch(`${t.url}/contoso/B2C_1_signin/signin/api`, { method: 'POST', headers: { accept: 'application/json' } })).json()) as { id: string };
    const res = await fetch(`${t.url}/contoso/B2C_1_signin/signin?flow=${flow.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ identifier, password }),
    });
    const json = (await res.json()) as { state: string; session_token?: string; ui?: { messages: Array<{ code: string }> } };
    return { status: res.status, state: json.state, token: json.session_token, codes: json.ui?.messages.map((m) => m.code) ?? [] };
  }

  it('signs in with canonicalised email and returns a session token to API flows', async () => {
    const ok = await attempt('  SAM@example.com', 'Right-Passw0rd!');
    expect(ok.state).toBe('done');
    expect(ok.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });

  it('gives the same message for a wrong password and an unknown account', async () => {
    const wrong = await attempt('sam@example.com', 'Wrong-Passw0rd!');
    const unknown = await attempt('nobody@example.com', 'Wrong-Passw0rd!');
    expect(wrong).toEqual(unknown);
    expect(wrong.codes).toEqual(['sign_in.invalid_credentials']);
  });

  it('tells a disabled account only after the right password', async () => {
    expect((await attempt('off@example.com', 'Nope-Passw0rd!')).codes).toEqual(['sign_in.invalid_credentials']);
    expect((await attempt('off@example.com', 'Right-Passw0rd!')).codes).toEqual(['sign_in.account_disabled']);
  });

  it('locks an account after repeated failures — known and unknown alike — and a reset unlocks it', async () => {
    await t.createUser({ email: 'lock@example.com', password: 'Right-Passw0rd!' });
    for (const email of ['lock@example.com', 'ghost-lock@example.com']) {
      for (let i = 0; i < 3; i++) await attempt(email, 'Wrong-Passw0rd!');
      expect((await attempt(email, 'Right-Passw0rd!')).codes, email).toEqual(['sign_in.locked']);
    }
    // Lockout cannot deny the owner the reset flow; completing it lifts the lock.
    const id = await verifiedFlow(t, 'lock@example.com');
    const done = await submit(t, { id }, { action: 'set_password', password: 'After-Reset-Pa55!', confirm_password: 'After-Reset-Pa55!' });
    expect(done.json.state).toBe('done');
    expect((await attempt('lock@example.com', 'After-Reset-Pa55!')).state).toBe('done');
    const events = await t.nyckel.store.db.selectFrom('audit_events').select('type').where('type', '=', 'sign_in.locked').execute();
    expect(events.length).toBeGreaterThan(0);
  });
});

// SECURITY.md: "10 failures → short lock, growing". Shortened here: 3 failures lock for 1 s, the next lockout
// within 24 hours for 2 s, and so on up to the maximum.
describe('sign-in lockouts grow', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ limits: { signInFailuresPerAccount: 3, signInLockoutSeconds: 1, signInLockoutMaxSeconds: 2 } });
    await t.createUser({ email: 'grow@example.com', password: 'Right-Passw0rd!' });
  });
  afterAll(async () => t.close());

  async function attempt(password: string) {
    const flow = (await (await fetch(`${t.url}/contoso/B2C_1_signin/signin/api`, { method: 'POST', headers: { accept: 'application/json' } })).json()) as { id: string };
    const res = await fetch(`${t.url}/contoso/B2C_1_signin/signin?flow=${flow.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ identifier: 'grow@example.com', password }),
    });
    const json = (await res.json()) as { state: string; ui?: { messages: Array<{ code: string }> } };
    return json.state === 'done' ? 'done' : (json.ui?.messages.map((m) => m.code).join() ?? '');
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const lockUp = async () => {
    for (let i = 0; i < 3; i++) expect(await attempt('Wrong-Passw0rd!')).toBe('sign_in.invalid_credentials');
  };

  it('locks for 1 s after the first run of failures, 2 s after the second, and no longer than the maximum after that', async () => {
    await lockUp();
    expect(await attempt('Right-Passw0rd!')).toBe('sign_in.locked');
    await sleep(1300);
    // The first lock is over: a fresh run of attempts, and the next lockout lasts twice as long.
    await lockUp();
    // Longer than the first lockout, well inside the second (the margin is for a slow machine's requests).
    await sleep(1100);
    expect(await attempt('Right-Passw0rd!')).toBe('sign_in.locked');
    await sleep(1300);
    await lockUp();
    await sleep(2300);
    // The third lockout is capped at the 2 s maximum; then the right password works again.
    expect(await attempt('Right-Passw0rd!')).toBe('done');
    const locks = await t.nyckel.store.db.selectFrom('audit_events').select(['details']).where('type', '=', 'sign_in.locked').orderBy('id').execute();
    // Each lockout's start records its length; each attempt refused while locked is audited too (no length).
    const seconds = locks.map((l) => (l.details as { seconds?: number } | null)?.seconds);
    expect(seconds.filter((n) => n !== undefined)).toEqual([1, 2, 2]);
    expect(seconds.filter((n) => n === undefined)).toHaveLength(2);
  });
});
