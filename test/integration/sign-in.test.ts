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
