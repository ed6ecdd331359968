// `nyckel start`: runs the server. First start seeds the demo tenant and prints the admin token and the demo
// customer's password once. SIGINT/SIGTERM stop it gracefully (in-flight requests finish).
import { createApp, type NyckelApp } from '../../app.ts';
import { insecureSettings } from '../../config/schema.ts';
import { randomToken } from '../../security/secrets.ts';
import { seedOnFirstStart } from '../../directory/seed-demo.ts';
import { runNowUrl } from '../../oidc/index.ts';
import { removeServerFile, writeServerFile, type CliContext } from '../context.ts';
import type { Command } from '../registry.ts';

export const command: Command = {
  usage: 'start   (serve on NYCKEL_PORT, default 8080; data in NYCKEL_DATA_DIR or NYCKEL_DATABASE_URL)',
  options: {},
  async run(ctx) {
    const config = ctx.config;
    const localToken = randomToken(24);
    const nyckel = await createApp(config, { localToken });
    try {
      await serve(ctx, nyckel, localToken);
    } finally {
      removeServerFile(config);
      await nyckel.close();
    }
    return 0;
  },
};

async function serve(ctx: CliContext, nyckel: NyckelApp, localToken: string): Promise<void> {
  const config = ctx.config;
  for (const warning of insecureSettings(config)) nyckel.services.log.warn(`insecure setting: ${warning}`);
  const seeded = await seedOnFirstStart(nyckel.store.db, nyckel.services.hasher, { demo: config.seedDemo });
  const bound = await nyckel.listen();

  const base = config.publicUrl.replace(/\/$/, '');
  const lines = [
    '',
    `Nyckel is running at ${base} (${config.databaseUrl ? 'PostgreSQL' : `embedded database in ${config.dataDir}`}; listening on ${bound})`,
    `  Demo sign-in page:   ${base}/contoso/B2C_1_signin/signin`,
  ];
  // Run now: the demo flow through a built-in test app that shows the resulting token.
  const demo = await runNowUrl(nyckel.services, 'contoso', 'B2C_1_signin').catch(() => undefined);
  if (demo) lines.push(`  Run now (test app):  ${demo}`);
  if (config.devInbox ?? !config.smtpUrl) lines.push(`  Dev inbox (mail):    ${base}/dev/mail`);
  if (seeded.adminToken) lines.push(`  Admin API token (shown once, keep it): ${seeded.adminToken}`);
  if (seeded.demo) lines.push(`  Demo customer (shown once): ${seeded.demo.email} / ${seeded.demo.password}`);
  lines.push('  Turn on self-service password reset: npx nyckel sspr --tenant contoso --mode all', '');
  ctx.out(lines.join('\n'));
  writeServerFile(config, { url: bound, pid: process.pid, token: localToken });

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.out('Nyckel is stopping: finishing requests in flight…');
}
