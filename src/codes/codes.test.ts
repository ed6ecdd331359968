import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { openStore, type Store } from '../store/connect.ts';
import { migrate } from '../store/migrate.ts';
import { deriveKeys } from '../security/secrets.ts';
import { generateCode, prepareCode, verifyCode } from './codes.ts';
import { findFlow } from '../store/queries/flows.ts';
import { moveFlowWith } from '../flows/common/flow-store.ts';

describe('generateCode', () => {
  it('is six digits, uniformly spread (no digit position stuck)', () => {
    const codes = Array.from({ length: 2000 }, generateCode);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
    expect(new Set(codes).size).toBeGreaterThan(1950);
    for (let pos = 0; pos < 6; pos++) expect(new Set(codes.map((c) => c[pos])).size).toBe(10);
  });
});

describe('prepareCode / verifyCode', () => {
  let store: Store;
  const keys = deriveKeys('unit-test-secret-unit-test-secret-012345');
  let tenantId: string;
  beforeAll(async () => {
    store = await openStore({ dataDir: tmpdir(), memory: true });
    await migrate(store.db);
    tenantId = crypto.randomUUID();
    await store.db.insertInto('tenants').values({ id: tenantId, name: 't', display_name: 'T', settings: '{}' }).execute();
  });
  afterAll(async () => store.close());

  async function flow() {
    const id = crypto.randomUUID().replaceAll('-', '');
    await store.db.insertInto('flows').values({ id, tenant_id: tenantId, kind: 'k', state: 's', csrf_hash: 'x', data: '{}', expires_at: new Date(Date.now() + 60_000) }).execute();
    return id;
  }
  // As the flows issue codes: written with the flow's (here unchanged) move, in one statement.
  async function issue(flowId: string, address = 'a@example.com') {
    const current = (await findFlow(store.db, flowId))!;
    const { code, effects } = prepareCode(keys, { tenantId, flowId, purpose: 'p', address, ttlSeconds: 600, maxAttempts: 3 });
    await moveFlowWith(store.db, current, { state: current.state, data: current.data }, effects);
    return code;
  }

  it('verifies once, then never again', async () => {
    const id = await flow();
    const code = await issue(id);
    expect(await verifyCode(store.db, keys, id, code)).toEqual({ status: 'ok', address: 'a@example.com' });
    expect(await verifyCode(store.db, keys, id, code)).toEqual({ status: 'no_code' });
  });

  it('binds the code to its flow: the same digits do not work on another flow', async () => {
    const a = await flow();
    const b = await flow();
    const code = await issue(a);
    await issue(b);
    const other = await verifyCode(store.db, keys, b, code);
    // The chance that b's code equals a's is 1e-6; the HMAC binds flow and address either way.
    expect(other.status === 'incorrect' || other.status === 'ok').toBe(true);
    expect((await verifyCode(store.db, keys, a, code)).status).toBe('ok');
  });

  it('counts attempts and stops after the maximum', async () => {
    const id = await flow();
    const code = await issue(id);
    const wrong = code === '000000' ? '000001' : '000000';
    expect(await verifyCode(store.db, keys, id, wrong)).toEqual({ status: 'incorrect', attemptsLeft: 2 });
    expect(await verifyCode(store.db, keys, id, wrong)).toEqual({ status: 'incorrect', attemptsLeft: 1 });
    expect(await verifyCode(store.db, keys, id, wrong)).toEqual({ status: 'too_many_attempts' });
    expect(await verifyCode(store.db, keys, id, code)).toEqual({ status: 'too_many_attempts' });
  });

  it('a new code supersedes the old; expired codes fail', async () => {
    const id = await flow();
    const first = await issue(id);
    const second = await issue(id);
    if (first !== second) expect((await verifyCode(store.db, keys, id, first)).status).toBe('incorrect');
    await store.db.updateTable('verification_codes').set({ expires_at: new Date(Date.now() - 1) }).where('flow_id', '=', id).execute();
    expect(await verifyCode(store.db, keys, id, second)).toEqual({ status: 'expired' });
  });
});
