// The directory config cache (directory/config-cache.ts): hits within the TTL, invalidated at once by this
// process's own writes and, on PostgreSQL, by other processes' notifications.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestStore, type TestStore } from '../fixtures/test-database.ts';
import { cachedConfig, DIRECTORY_CHANNEL, listenForDirectoryChanges } from '../../src/directory/config-cache.ts';
import { resolvePolicy } from '../../src/http/policy-context.ts';
import { createDefaultUserFlow, createTenant, setSspr } from '../../src/directory/tenants.ts';

describe('directory config cache', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    const tenant = await createTenant(t.store.db, { name: 'cachetest' });
    await createDefaultUserFlow(t.store.db, tenant.id);
  });
  afterAll(() => t.cleanup());

  it('serves repeated lookups from memory and shares one load between concurrent misses', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      return { n: loads };
    };
    const first = await Promise.all(Array.from({ length: 5 }, () => cachedConfig(t.store.db, 'k1', load)));
    expect(first.map((v) => v.n)).toEqual([1, 1, 1, 1, 1]);
    expect((await cachedConfig(t.store.db, 'k1', load)).n).toBe(1);
    expect(loads).toBe(1);
  });

  it('does not keep a failed load', async () => {
    await expect(cachedConfig(t.store.db, 'k2', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cachedConfig(t.store.db, 'k2', async () => 'ok')).toBe('ok');
  });

  it("sees this process's own directory writes at once", async () => {
    const before = await resolvePolicy(t.store.db, { tenant: 'cachetest', policy: 'B2C_1_signin' });
    expect(before.tenant.settings.sspr?.mode).toBe('none');
    await setSspr(t.store.db, before.tenant, 'all');
    const after = await resolvePolicy(t.store.db, { tenant: 'cachetest', policy: 'b2c_1_SIGNIN' });
    expect(after.tenant.settings.sspr?.mode).toBe('all');
  });

  it.skipIf(!t_url())("drops its entries when another process announces a change (PostgreSQL NOTIFY)", async () => {
    const listener = await listenForDirectoryChanges(t.databaseUrl!, () => {});
    try {
      let loads = 0;
      const load = async () => ++loads;
      expect(await cachedConfig(t.store.db, 'k3', load)).toBe(1);
      expect(await cachedConfig(t.store.db, 'k3', load)).toBe(1);
      // Another "process": its own connection, only the notification — nothing in this process is called.
      const other = new pg.Client({ connectionString: t.databaseUrl });
      await other.connect();
      await other.query('select pg_notify($1, $2)', [DIRECTORY_CHANNEL, '']);
      await other.end();
      // Well inside the cache's TTL (3 s): only the notification can make this reload.
      const deadline = Date.now() + 1_000;
      let value = await cachedConfig(t.store.db, 'k3', load);
      while (value === 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        value = await cachedConfig(t.store.db, 'k3', load);
      }
      expect(value).toBe(2);
    } finally {
      await listener.stop();
    }
  });
});

function t_url(): boolean {
  return Boolean(process.env.NYCKEL_TEST_DATABASE_URL);
}
