// OIDC / OAuth 2.0 for apps (B2C-shaped), registered from app.ts: the protocol endpoints, the interaction
// hand-over to the hosted pages, Run now's redirect page, and the revocation after a password change.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import type { CookiePolicy } from '../http/cookies.ts';
import { deleteExpiredModels } from '../store/queries/oidc-models.ts';
import { registerB2cRoutes } from './b2c-routes.ts';
import { registerInteractionRoutes } from './interactions.ts';
import { registerRunNowRoutes } from './run-now.ts';
import { revokeAfterPasswordChange } from './revocation.ts';
import { providersFor } from './runtime.ts';

export { runNowUrl } from './run-now.ts';

export async function registerOidc(app: FastifyInstance, s: Services, opts: { cookies: CookiePolicy }): Promise<void> {
  const providers = providersFor(s, opts.cookies);
  await registerB2cRoutes(app, s, providers);
  registerInteractionRoutes(app, s, providers, opts.cookies);
  registerRunNowRoutes(app, s);
  s.afterPasswordChange.push(revokeAfterPasswordChange);

  // Expired codes, tokens and sessions are never read; they are deleted hourly.
  const sweeper = setInterval(() => void deleteExpiredModels(s.db, new Date()).catch(() => {}), 3_600_000);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));
}
