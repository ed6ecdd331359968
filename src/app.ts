// Builds a Nyckel server from config: the one place where things are wired together.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import type { Logger } from 'pino';
import { createLogger } from './http/logger.ts';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Config } from './config/schema.ts';
import type { Services } from './services.ts';
import { NyckelError } from './errors.ts';
import { openStore, type Store } from './store/connect.ts';
import { migrate } from './store/migrate.ts';
import { deriveKeys, loadOrCreateSecret } from './security/secrets.ts';
import { createHasher } from './credentials/hasher.ts';
import { createLimits } from './limits/limits.ts';
import { createWaitingFlows } from './flows/common/waiting-flows.ts';
import { sweepExpiredLimits } from './limits/postgres-store.ts';
import { listenForDirectoryChanges } from './directory/config-cache.ts';
import type { Dispatcher } from './mail/dispatcher.ts';
import { createMailDelivery } from './mail/delivery.ts';
import { startDispatcherThread } from './mail/threaded-dispatcher.ts';
import { registerDevInbox } from './mail/dev-inbox-routes.ts';
import type { MailTransport } from './mail/transport.ts';
import { registerErrorHandler, sendError, toNyckelError } from './http/error-handler.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import type { CookiePolicy } from './http/cookies.ts';
import { registerPasswordResetRoutes } from './flows/password-reset/routes.ts';
import { registerSignInRoutes } from './flows/sign-in/routes.ts';
import { registerSignUpRoutes } from './flows/sign-up/routes.ts';
import { registerAdminRoutes } from './admin/routes.ts';
import { registerOidc } from './oidc/index.ts';
import { deleteExpiredFlows } from './store/queries/flows.ts';

export interface NyckelApp {
  app: FastifyInstance;
  services: Services;
  store: Store;
  dispatcher: Dispatcher;
  /** Starts listening; resolves to the bound URL. */
  listen(): Promise<string>;
  /** Graceful stop: no new connections, in-flight requests finish, mail batch recorded, pools closed. */
  close(): Promise<void>;
}

export interface AppOptions {
  /** Use this store instead of opening one from config (tests). It is not closed by close(). */
  store?: Store;
  logger?: Logger;
  /** Mail transport override (tests); default: SMTP when configured, else the dev inbox. */
  transport?: MailTransport;
  /** Per-process token the local CLI uses (written to the data directory by `nyckel start`). */
  localToken?: string;
  /** Start the mail dispatcher's polling loop (default true). */
  dispatch?: boolean;
}

const css = readFileSync(fileURLToPath(new URL('./ui/static/nyckel.css', import.meta.url)));

export async function createApp(config: Config, options: AppOptions = {}): Promise<NyckelApp> {
  const log = options.logger ?? createLogger(config.logLevel);
  const store = options.store ?? (await openStore({ dataDir: config.dataDir, poolSize: config.databasePoolSize, preparedStatements: config.databasePreparedStatements, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) }));
  if (!options.store) await migrate(store.db);
  const keys = deriveKeys(config.secret ?? loadOrCreateSecret(config.dataDir));
  const hasher = createHasher({ maxQueue: config.hashing.maxQueue, ...(config.hashing.concurrency ? { concurrency: config.hashing.concurrency } : {}) });
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 2 }) : undefined;
  // Other processes on this database (more instances, the CLI) announce directory changes; drop cached config then.
  const directoryListener = store.url ? await listenForDirectoryChanges(store.url, (err) => log.warn({ error: String(err) }, 'directory change listener: connection lost, reconnecting')) : undefined;
  const limits = createLimits(config, { ...(redis ? { redis } : {}), ...(store.limitsDb && !redis ? { db: store.limitsDb } : {}) });

  // With PostgreSQL the dispatcher runs on its own thread (mail/dispatcher-thread.ts), so building and sending
  // messages does not take turns with requests; embedded PGlite (one connection) and injected transports keep
  // it in process.
  const dispatcher: Dispatcher =
    !options.transport && store.url && config.mail.thread ? await startDispatcherThread(config, store.url, log) : createMailDelivery(config, store.db, log, { transport: options.transport });

  const services: Services = {
    config,
    db: store.db,
    keys,
    hasher,
    limits,
    log,
    mailQueued: (handed) => (handed && handed.length > 0 ? dispatcher.hand(handed) : dispatcher.wake()),
    mailLease: () => dispatcher.handoverLease(),
    afterPasswordChange: [],
    ...(limits.inDatabase ? { waitingFlows: createWaitingFlows() } : {}),
  };

  const https = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  const app = Fastify({
    loggerInstance: log,
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    // Reject smuggling-shaped and oversized URLs early; FST_ERR_BAD_URL becomes a 400.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Router-level rejections (bad URL, over-long params) get the same error shape as everything else.
    frameworkErrors: (err, req, reply) => void sendError(req, reply, toNyckelError(err)),
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;
  const cookies: CookiePolicy = { secure: new URL(config.publicUrl).protocol === 'https:' };

  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  registerErrorHandler(app);
  registerSecurityHeaders(app, { https: cookies.secure });

  app.get('/static/nyckel.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(css));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(store.db);
      return { status: 'ready', database: store.kind };
    } catch {
      return reply.status(503).send({ status: 'unavailable', database: store.kind });
    }
  });
  app.get('/', async (_req, reply) => reply.type('application/json').send({ name: 'Nyckel', health: '/healthz' }));

  registerSignInRoutes(app, services, cookies);
  registerPasswordResetRoutes(app, services, cookies);
  registerSignUpRoutes(app, services, cookies);
  registerAdminRoutes(app, services, { ...(options.localToken ? { localToken: options.localToken } : {}) });
  await registerOidc(app, services, { cookies });
  if (config.devInbox ?? !config.smtpUrl) {
    // The dev inbox shows every code: by default only this machine may read it. NYCKEL_DEV_INBOX=true opens it
    // to others (a shared demo), knowingly.
    await app.register(async (scope) => {
      if (config.devInbox !== true) {
        scope.addHook('onRequest', async (req) => {
          if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '')) throw new NyckelError('not_found', 404);
        });
      }
      await registerDevInbox(scope, { db: store.db });
    });
  }

  // Expired flows are deleted a day after expiry (kept briefly so "expired" can be told apart from "unknown").
  const sweeper = setInterval(() => void deleteExpiredFlows(store.db, new Date(Date.now() - 86_400_000)).catch(() => {}), 3_600_000);
  sweeper.unref();
  // Rate-limit counters in PostgreSQL: windows that have ended are deleted every few minutes.
  const limitsDb = !redis ? store.limitsDb : undefined;
  const limitSweeper = limitsDb ? setInterval(() => void sweepExpiredLimits(limitsDb).catch(() => {}), 300_000) : undefined;
  limitSweeper?.unref();

  if (options.dispatch !== false) dispatcher.start();

  // Graceful stop: responses finished during shutdown carry `Connection: close`, so keep-alive clients let go
  // and server.close() can complete; a stuck client is cut off after the grace period.
  let closed = false;
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closed) reply.header('connection', 'close');
    done(null, payload);
  });
  return {
    app,
    services,
    store,
    dispatcher,
    async listen() {
      return app.listen({ port: config.port, host: config.host });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      clearInterval(limitSweeper);
      await directoryListener?.stop();
      const cutoff = setTimeout(() => app.server.closeAllConnections(), 10_000);
      cutoff.unref();
      await app.close();
      clearTimeout(cutoff);
      await dispatcher.stop();
      await hasher.close();
      redis?.disconnect();
      if (!options.store) await store.close();
    },
  };
}
