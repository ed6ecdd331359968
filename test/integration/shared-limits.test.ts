// Rate limits hold across processes: two Nyckel instances on one database share their counters through
// Redis (NYCKEL_TEST_REDIS_URL) or PostgreSQL (NYCKEL_TEST_DATABASE_URL). With neither (embedded PGlite is
// single-process by design) there is nothing to share and the suite is skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';
import { createTestStore, testDatabaseUrl, type TestStore } from '../fixtures/test-database.ts';
import { newResetFlow, submit } from '../fixtures/reset-api.ts';

const redisUrl = process.env.NYCKEL_TEST_REDIS_URL || undefined;
const backends = [...(redisUrl ? [['redis', { redisUrl }] as const] : []), ...(testDatabaseUrl ? [['postgres', {}] as const] : [])];

describe.skipIf(backends.length === 0)('limits shared by two instances', () => {
  for (const [name, overrides] of backends) {
    describe(name, () => {
      let db: TestStore;
      let a: TestApp;
      let b: TestApp;
      beforeAll(async () => {
        db = await createTestStore();
        const config = { ...overrides, limits: { codesPerAddressPerHour: 4 } };
        a = await startTestApp(config, { store: db.store });
        b = await startTestApp(config, { store: db.store });
        await a.setSspr('all');
      });
      afterAll(async () => {
        await a.close();
        await b.close();
        await db.cleanup();
      });

      it('counts codes per address across both instances', async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          const app = i % 2 === 0 ? a : b;
          const flow = await newResetFlow(app);
          statuses.push((await submit(app, flow, { action: 'send_code', email: 'shared@example.com' })).status);
        }
        expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      });
    });
  }
});
