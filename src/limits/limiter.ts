// Rate limits, keyed by what they protect. Counters live in Redis when configured (many processes), else in
// PostgreSQL (many processes, no Redis), else in memory (the embedded single-process default).
import type pg from 'pg';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export type LimitResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

export interface Limiter {
  /** Spends `points`; refused (and nothing spent beyond the limit) when exhausted. */
  consume(key: string, points?: number): Promise<LimitResult>;
  /** Gives points back (e.g. a correct code after the pre-counted attempt). */
  reward(key: string, points?: number): Promise<void>;
  /** Whether the key is currently blocked, without spending. */
  check(key: string): Promise<LimitResult>;
  reset(key: string): Promise<void>;
}

export interface LimitSpec {
  name: string;
  points: number;
  durationSeconds: number;
  /** Once exhausted, stay blocked this long (lockouts). */
  blockSeconds?: number;
}

export interface LimitBackend {
  redis?: Redis;
  pool?: pg.Pool;
}

function build(spec: LimitSpec, backend: LimitBackend): RateLimiterAbstract {
  const opts = { keyPrefix: `nyckel:${spec.name}`, points: spec.points, duration: spec.durationSeconds, blockDuration: spec.blockSeconds ?? 0 };
  if (backend.redis) return new RateLimiterRedis({ ...opts, storeClient: backend.redis });
  if (backend.pool) {
    return new RateLimiterPostgres({ ...opts, storeClient: backend.pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true });
  }
  return new RateLimiterMemory(opts);
}

export function createLimiter(spec: LimitSpec, backend: LimitBackend): Limiter {
  const rl = build(spec, backend);
  const refused = (res: RateLimiterRes): LimitResult => ({ ok: false, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) });
  return {
    async consume(key, points = 1) {
      try {
        const res = await rl.consume(key, points);
        return { ok: true, remaining: res.remainingPoints };
      } catch (err) {
        if (err instanceof RateLimiterRes) return refused(err);
        throw err;
      }
    },
    async reward(key, points = 1) {
      await rl.reward(key, points);
    },
    async check(key) {
      const res = await rl.get(key);
      if (res && res.consumedPoints >= spec.points) return refused(res);
      return { ok: true, remaining: spec.points - (res?.consumedPoints ?? 0) };
    },
    async reset(key) {
      await rl.delete(key);
    },
  };
}
