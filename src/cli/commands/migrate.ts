import { openStore } from '../../store/connect.ts';
import { migrate } from '../../store/migrate.ts';
import type { Command } from '../registry.ts';

export const command: Command = {
  usage: 'migrate   (apply pending database migrations; start does this too)',
  options: {},
  async run(ctx) {
    const c = ctx.config;
    const store = await openStore({ dataDir: c.dataDir, ...(c.databaseUrl ? { databaseUrl: c.databaseUrl } : {}) });
    try {
      const applied = await migrate(store.db);
      ctx.out(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await store.close();
    }
    return 0;
  },
};
