// The services every flow and route works with, built once in app.ts. Libraries take what they need from it.
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import type { Hasher } from './credentials/hasher.ts';
import type { Limits } from './limits/limits.ts';
import type { Keys } from './security/secrets.ts';
import type { HandedMail } from './mail/dispatcher.ts';
import type { Db } from './store/database.ts';
import type { WaitingFlows } from './flows/common/waiting-flows.ts';

export interface Services {
  config: Config;
  db: Db;
  keys: Keys;
  hasher: Hasher;
  limits: Limits;
  log: Logger;
  /**
   * After mail was queued: nudges the mail dispatcher, or hands it rows that were queued leased to it (with
   * mailLease(); mail/dispatcher.ts).
   */
  mailQueued(handed?: readonly HandedMail[]): void;
  /** The lease to queue mail with when it will be handed over (mailQueued), or undefined: queue it due. */
  mailLease(): number | undefined;
  /** Run inside the password-change transaction (e.g. OIDC revokes grants and refresh tokens). */
  afterPasswordChange: Array<(tx: Db, userId: string, tenantId: string) => Promise<void>>;
  /** Where counters are rows of the database: flows this process created that wait for their first step. */
  waitingFlows?: WaitingFlows;
}

/** Who is asking: recorded in audit events and used for rate limits. */
export interface RequestContext {
  ip: string;
  userAgent: string | null;
}
