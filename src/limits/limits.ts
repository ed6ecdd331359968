// The named limits Nyckel enforces, built from config. Keys always include the tenant id so one tenant's
// traffic never locks out another's users.
import type { Config } from '../config/schema.ts';
import { createLimitStore, createLimiter, storedKey, type LimitBackend, type LimitCharge, type Limiter, type LimitResult } from './limiter.ts';
import type { CounterRow } from '../store/database.ts';
import type { FlowRow } from '../store/queries/flows.ts';
import type { CounterSpend, SpentCounter } from '../store/queries/rate-limits.ts';
import { counterSpendsOf, limitResultOf } from './postgres-store.ts';

export interface Limits {
  /** Reset requests (send code) per client IP. */
  resetRequestsPerIp: Limiter;
  /** Codes sent per canonical address, across IPs, flows and tenants' traffic to that address. */
  codesPerAddress: Limiter;
  /** Wrong codes per address across re-sends and flows (never reset by sending a new code). */
  codeFailuresPerAddress: Limiter;
  /** Sign-in failures per account: B2C-like lockout (10 failures → locked, see `lockoutSeconds`). */
  signInFailuresPerAccount: Limiter;
  /** Lockouts per account in the last 24 hours: each one locks twice as long as the one before. */
  signInLockoutsPerAccount: Limiter;
  /** How long the n-th lockout of an account within 24 hours lasts: 60 s, 120 s, 240 s… up to an hour. */
  lockoutSeconds(n: number): number;
  /** Sign-in failures per IP. */
  signInFailuresPerIp: Limiter;
  /** Spends one point of each charge in one step (one statement on PostgreSQL); results in the same order. */
  consumeAll(charges: readonly LimitCharge[]): Promise<LimitResult[]>;
  /** Reads each charge's state without spending, in one step. */
  checkAll(charges: readonly LimitCharge[]): Promise<LimitResult[]>;
  /**
   * Set when counters are rows of the database's rate_limits table (PostgreSQL without Redis): a statement may
   * then read them along with rows of its own (store/queries/sign-in.ts), and `check` answers from those rows
   * what `checkAll` would have.
   */
  inDatabase?: {
    storedKey(limiter: Limiter, key: string): string;
    check(charges: readonly LimitCharge[], rows: readonly CounterRow[], now: number): LimitResult[];
    /** consumeAll, and the flow `flowId` read in the same statement (flows/common/flow-store.ts). */
    consumeAllReadingFlow(charges: readonly LimitCharge[], flowId: string): Promise<{ results: LimitResult[]; flow: FlowRow | undefined }>;
    /** One point of each charge, as counters another statement spends (store/guarded-write.ts, moveFlowSpending). */
    counterSpends(charges: readonly LimitCharge[]): CounterSpend[];
    /** What the counts such a statement saw mean: consumeAll's results. */
    resultsOf(spent: readonly SpentCounter[]): LimitResult[];
  };
}

export function createLimits(config: Config, backend: LimitBackend): Limits {
  const l = config.limits;
  const store = createLimitStore(backend);
  const { checkRows, consumeReadingFlow } = store;
  const spends = (charges: readonly LimitCharge[]) => charges.map(([limiter, key]) => ({ spec: limiter.spec, key, points: 1 }));
  return {
    resetRequestsPerIp: createLimiter({ name: 'reset-ip', points: l.resetRequestsPerIp, durationSeconds: 600 }, store),
    codesPerAddress: createLimiter({ name: 'codes-addr', points: l.codesPerAddressPerHour, durationSeconds: 3600 }, store),
    codeFailuresPerAddress: createLimiter({ name: 'code-fail-addr', points: config.codes.maxFailuresPerAddress, durationSeconds: 3600 }, store),
    signInFailuresPerAccount: createLimiter({ name: 'signin-fail-acct', points: l.signInFailuresPerAccount, durationSeconds: 900, blockSeconds: l.signInLockoutSeconds }, store),
    signInLockoutsPerAccount: createLimiter({ name: 'signin-locks-acct', points: 1_000_000, durationSeconds: 86_400 }, store),
    lockoutSeconds: (n) => Math.min(l.signInLockoutMaxSeconds, l.signInLockoutSeconds * 2 ** Math.min(Math.max(n - 1, 0), 20)),
    signInFailuresPerIp: createLimiter({ name: 'signin-fail-ip', points: l.signInFailuresPerIp, durationSeconds: 900, blockSeconds: 300 }, store),
    consumeAll: (charges) => store.consume(spends(charges)),
    checkAll: (charges) => store.check(charges.map(([limiter, key]) => ({ spec: limiter.spec, key }))),
    ...(checkRows && consumeReadingFlow
      ? {
          inDatabase: {
            storedKey: (limiter, key) => storedKey(limiter.spec, key),
            check: (charges, rows, now) => checkRows(charges.map(([limiter, key]) => ({ spec: limiter.spec, key })), rows, now),
            consumeAllReadingFlow: (charges, flowId) => consumeReadingFlow(spends(charges), flowId),
            counterSpends: (charges) => counterSpendsOf(spends(charges)),
            resultsOf: (spent) => {
              const now = Date.now();
              return spent.map((one) => limitResultOf(one, now));
            },
          },
        }
      : {}),
  };
}
