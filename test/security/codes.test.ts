// SECURITY.md "Codes": attempt limits (also under parallel guessing), a new code kills the old, expiry,
// failures counted per address across new codes, codes never stored or shown in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { messageCodesOf, newResetFlow, submit } from '../fixtures/reset-api.ts';

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('verification codes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ codes: { resendCooldownSeconds: 0, maxFailuresPerAddress: 8 }, limits: { codesPerAddressPerHour: 50 } });
    await t.setSspr('all');
    await t.createUser({ email: 'user@example.com', password: 'Old-Passw0rd!x' });
  });
  afterAll(async () => t.close());

  async function flowWithCode(email: string) {
    const flow = await newResetFlow(t);
    const before = t.mail.length;
    await submit(t, flow, { action: 'send_code', email });
    return { flow, code: t.codeFrom(await t.waitForMail(email, { after: before })) };
  }

  it('sends one code when one flow gets many parallel send_code requests: the winner writes code, mail and audit, the rest nothing', async () => {
    const flow = await newResetFlow(t);
    const email = 'race@example.com';
    const results = await Promise.all(Array.from({ length: 12 }, () => submit(t, flow, { action: 'send_code', email })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).map((r) => r.status)).toEqual(Array(11).fill(409));
    const db = t.nyckel.store.db;
    expect(await db.selectFrom('verification_codes').select('id').where('flow_id', '=', flow.id).execute()).toHaveLength(1);
    expect(await db.selectFrom('outbox').select('id').where('recipient', '=', email).execute()).toHaveLength(1);
    const events = await db.selectFrom('audit_events').select('type').where('target', '=', `email:${email}`).execute();
    expect(events.map((e) => e.type).sort()).toEqual(['password_reset.code_sent', 'password_reset.requested']);
  });

  it('keeps parallel requests of different flows apart: each flow gets its own code, its mail, and only its code verifies it', async () => {
    const emails = Array.from({ length: 8 }, (_, i) => `apart-${i}@example.com`);
    const flows = await Promise.all(emails.map(() => newResetFlow(t)));
    const before = t.mail.length;
    // Sent together, these coalesce into shared statements (store/guarded-write.ts).
    const sent = await Promise.all(flows.map((flow, i) => submit(t, flow, { action: 'send_code', email: emails[i] })));
    expect(sent.map((r) => r.json.state)).toEqual(emails.map(() => 'code_sent'));
    const codes = await Promise.all(emails.map(async (email) => t.codeFrom(await t.waitForMail(email, { after: before }))));
    const db = t.nyckel.store.db;
    for (const [i, flow] of flows.entries()) {
      const rows = await db.selectFrom('verification_codes').select(['address']).where('flow_id', '=', flow.id).execute();
      expect(rows).toEqual([{ address: emails[i] }]);
    }
    // Another flow's code is wrong here; its own is right.
    const other = await submit(t, flows[0]!, { action: 'verify_code', code: codes[1] === codes[0] ? wrongCode(codes[0]!) : codes[1] });
    expect(other.json.state).toBe('code_sent');
    const own = await Promise.all(flows.map((flow, i) => submit(t, flow, { action: 'verify_code', code: codes[i] })));
    // Mailbox proven; these addresses have no account, so the flow ends at "unavailable".
    expect(own.map((r) => r.json.state)).toEqual(emails.map(() => 'unavailable'));
  });

  it('is six digits, stored only as an HMAC, absent from API responses and audit', async () => {
    const { flow, code } = await flowWithCode('user@example.com');
    expect(code).toMatch(/^\d{6}$/);
    const rows = await t.nyckel.store.db.selectFrom('verification_codes').selectAll().where('flow_id', '=', flow.id).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(code);
    const json = await submit(t, flow, { action: 'resend_code' });
    expect(json.text).not.toMatch(/\b\d{6}\b/);
    const audit = await t.nyckel.store.db.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(audit)).not.toContain(code);
  });

  it('allows five attempts per code, even when 20 guesses arrive in parallel', async () => {
    const { flow, code } = await flowWithCode('parallel@example.com');
    const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(t, flow, { action: 'verify_code', code: String(100000 + i) === code ? wrongCode(code) : String(100000 + i) })));
    expect(guesses.every((g) => g.status < 500)).toBe(true);
    const row = await t.nyckel.store.db.selectFrom('verification_codes').select('attempts').where('flow_id', '=', flow.id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
    const right = await submit(t, flow, { action: 'verify_code', code });
    expect(messageCodesOf(right.json)).toContain('password_reset.too_many_attempts');
    expect(right.json.state).toBe('code_sent');
  });

  it('a new code invalidates the previous one', async () => {
    const { flow, code: first } = await flowWithCode('user@example.com');
    const before = t.mail.length;
    await submit(t, flow, { action: 'resend_code' });
    const second = t.codeFrom(await t.waitForMail('user@example.com', { after: before }));
    if (first !== second) {
      const old = await submit(t, flow, { action: 'verify_code', code: first });
      expect(messageCodesOf(old.json)).toContain('password_reset.code_incorrect');
    }
    const ok = await submit(t, flow, { action: 'verify_code', code: second });
    expect(ok.json.state).toBe('new_password');
  });

  it('expires', async () => {
    const { flow, code } = await flowWithCode('user@example.com');
    await t.nyckel.store.db.updateTable('verification_codes').set({ expires_at: new Date(Date.now() - 1000) }).where('flow_id', '=', flow.id).execute();
    const late = await submit(t, flow, { action: 'verify_code', code });
    expect(messageCodesOf(late.json)).toContain('password_reset.code_expired');
  });

  it('counts failures per address across new codes and flows', async () => {
    const email = 'spray@example.com';
    let failures = 0;
    for (let round = 0; round < 3; round++) {
      const { flow, code } = await flowWithCode(email);
      for (let i = 0; i < 4 && failures < 8; i++, failures++) await submit(t, flow, { action: 'verify_code', code: wrongCode(code) });
    }
    expect(failures).toBe(8);
    const { flow, code } = await flowWithCode(email);
    const blocked = await submit(t, flow, { action: 'verify_code', code });
    expect(blocked.status).toBe(429);
    expect(messageCodesOf(blocked.json)).toContain('password_reset.too_many_attempts');
  });

  it('a flow expires as a whole', async () => {
    const { flow, code } = await flowWithCode('user@example.com');
    await t.nyckel.store.db.updateTable('flows').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', flow.id).execute();
    const res = await submit(t, flow, { action: 'verify_code', code });
    expect(res.status).toBe(410);
    expect(res.json.error?.code).toBe('flow.expired');
  });
});

// The limits a code request spends go in the same statement as its code on PostgreSQL (store/guarded-write.ts):
// requests that arrive together share it, and each must still see the count as if they had come one by one.
describe('code limits under parallel requests', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ limits: { codesPerAddressPerHour: 5 } });
    await t.setSspr('all');
  });
  afterAll(async () => t.close());

  it('sends exactly the allowed number of codes to one address when 12 flows ask at once; the rest are throttled and write no code', async () => {
    const email = 'many-flows@example.com';
    const flows = await Promise.all(Array.from({ length: 12 }, () => newResetFlow(t)));
    const results = await Promise.all(flows.map((flow) => submit(t, flow, { action: 'send_code', email })));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(5).fill(200), ...Array(7).fill(429)]);
    for (const r of results) expect(r.json.state).toBe(r.status === 200 ? 'code_sent' : 'identify');
    for (const r of results.filter((x) => x.status === 429)) expect(messageCodesOf(r.json)).toContain('password_reset.throttled');
    const db = t.nyckel.store.db;
    const codes = await db.selectFrom('verification_codes').select('flow_id').where('address', '=', email).execute();
    const sentFlows = results.flatMap((r, i) => (r.status === 200 ? [flows[i]!.id] : []));
    expect(codes.map((c) => c.flow_id).sort()).toEqual(sentFlows.sort());
    expect(await db.selectFrom('outbox').select('id').where('recipient', '=', email).execute()).toHaveLength(5);
    const events = await db.selectFrom('audit_events').select('type').where('target', '=', `email:${email}`).execute();
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('password_reset.requested'), count('password_reset.code_sent')]).toEqual([12, 5]);
    // The window is spent: one more request, alone, is refused too.
    const more = await submit(t, await newResetFlow(t), { action: 'send_code', email });
    expect(more.status).toBe(429);
  });
});
