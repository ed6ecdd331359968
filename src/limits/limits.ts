// The named limits Nyckel enforces, built from config. Keys always include the tenant id so one tenant's
// traffic never locks out another's users.
import type { Config } from '../config/schema.ts';
import { createLimiter, type LimitBackend, type Limiter } from './limiter.ts';

export interface Limits {
  /** Reset requests (send code) per client IP. */
  resetRequestsPerIp: Limiter;
  /** Codes sent per canonical address, across IPs, flows and tenants' traffic to that address. */
  codesPerAddress: Limiter;
  /** Wrong codes per address across re-sends and flows (never reset by sending a new code). */
  codeFailuresPerAddress: Limiter;
  /** Sign-in failures per account: B2C-like lockout (10 failures → locked 60 s). */
  signInFailuresPerAccount: Limiter;
  /** Sign-in failures per IP. */
  signInFailuresPerIp: Limiter;
}

export function createLimits(config: Config, backend: LimitBackend): Limits {
  const l = config.limits;
  return {
    resetRequestsPerIp: createLimiter({ name: 'reset-ip', points: l.resetRequestsPerIp, durationSeconds: 600 }, backend),
    codesPerAddress: createLimiter({ name: 'codes-addr', points: l.codesPerAddressPerHour, durationSeconds: 3600 }, backend),
    codeFailuresPerAddress: createLimiter({ name: 'code-fail-addr', points: config.codes.maxFailuresPerAddress, durationSeconds: 3600 }, backend),
    signInFailuresPerAccount: createLimiter(
      { name: 'signin-fail-acct', points: l.signInFailuresPerAccount, durationSeconds: 900, blockSeconds: 60 },
      backend,
    ),
    signInFailuresPerIp: createLimiter({ name: 'signin-fail-ip', points: l.signInFailuresPerIp, durationSeconds: 900, blockSeconds: 300 }, backend),
  };
}
