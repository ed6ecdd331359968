// The mail dispatcher as the config describes it, wherever it runs (in process, or on its own thread): SMTP
// when NYCKEL_SMTP_URL is set, else the dev inbox, unless a transport is injected (tests, embedding).
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/database.ts';
import { createDispatcher, type Dispatcher, type DispatcherLogger, type DispatcherOptions } from './dispatcher.ts';
import { createSmtpTransport } from './smtp-transport.ts';
import { createDevInboxTransport } from './dev-inbox.ts';
import type { MailTransport } from './transport.ts';

/**
 * stop() also closes the SMTP sessions once the batches in flight are recorded. The pass hooks (beforeClaim,
 * takeHanded) are the mail thread's (dispatcher-thread.ts).
 */
export function createMailDelivery(config: Config, db: Db, logger: DispatcherLogger, opts: { transport?: MailTransport | undefined } & Pick<DispatcherOptions, 'beforeClaim' | 'takeHanded'> = {}): Dispatcher {
  const { transport, ...hooks } = opts;
  const { maxAttempts, pollMs, batchSize, concurrency } = config.mail;
  // `concurrency` SMTP sessions, each carrying up to two pipelined sends (16 with CHUNKING): the dispatcher keeps
  // that many in flight.
  const smtp = !transport && config.smtpUrl ? createSmtpTransport(config.smtpUrl, config.mailFrom, { poolSize: concurrency }) : undefined;
  const dispatcher = createDispatcher({
    db,
    transport: transport ?? smtp ?? createDevInboxTransport(db, (line) => logger.info({}, line)),
    logger,
    maxAttempts,
    pollMs,
    batchSize,
    concurrency: smtp ? () => smtp.capacity : concurrency,
    ...hooks,
  });
  return {
    ...dispatcher,
    async stop() {
      await dispatcher.stop();
      smtp?.close();
    },
  };
}
