// Rate limits, keyed by what they protect. Counters live in Redis when configured (many processes), else in
// PostgreSQL (many processes, no Redis), else in memory (the embedded single-process default).
//
// Each limit is a fixed window of `points` per `durationSeconds`, optionally followed by a block (lockout).
// Several limits can be spent or checked in one step (`consumeAll`/`checkAll`): on PostgreSQL that is one
// statement, because on the hot paths every database round trip costs more than the work it carries.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { CounterRow, Db } from '../store/database.ts';
import type { FlowRow } from '../store/queries/flows.ts';
import { createPostgresLimitStore } from './postgres-store.ts';

export type LimitResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

export interface LimitSpec {
  name: string;
  points: number;
  durationSeconds: number;
  /** Once exhausted, stay blocked this long (lockouts). */
  blockSeconds?: number;
}

export interface Limiter {
  readonly spec: LimitSpec;
  /** Spends `points`; refused once the window's points are exhausted. */
  consume(key: string, points?: number): Promise<LimitResult>;
  /** Gives points back (e.g. a correct code after the pre-counted attempt). */
  reward(key: string, points?: number): Promise<void>;
  /** Whether the key is currently blocked, without spending. */
  check(key: string): Promise<LimitResult>;
  reset(key: string): Promise<void>;
  /** Blocks the key for `seconds` from now, whatever its count (a lockout of a chosen length). */
  block(key: string, seconds: number): Promise<void>;
}

/** One limit and the key it is charged to. */
export type LimitCharge = readonly [Limiter, string];

/** Where counters live. Batch operations keep their input order in their results. */
export interface LimitStore {
  consume(items: ReadonlyArray<{ spec: LimitSpec; key: string; points: number }>): Promise<LimitResult[]>;
  check(items: ReadonlyArray<{ spec: LimitSpec; key: string }>): Promise<LimitResult[]>;
  reward(spec: LimitSpec, key: string, points: number): Promise<void>;
  reset(spec: LimitSpec, key: string): Promise<void>;
  block(spec: LimitSpec, key: string, seconds: number): Promise<void>;
  /**
   * Only where counters are rows of the database's rate_limits table: what `check` answers, given the live
   * counter rows read by some other statement.
   */
  checkRows?(items: ReadonlyArray<{ spec: LimitSpec; key: string }>, rows: readonly CounterRow[], now: number): LimitResult[];
  /**
   * Only where counters are rows of the database that holds the flows: `consume`, and read the flow `flowId`
   * in the same statement (one round trip where there would be two; flows/common/flow-store.ts).
   */
  consumeReadingFlow?(items: ReadonlyArray<{ spec: LimitSpec; key: string; points: number }>, flowId: string): Promise<{ results: LimitResult[]; flow: FlowRow | undefined }>;
}

export interface LimitBackend {
  redis?: Redis;
  /** PostgreSQL for counters (ideally a connection that commits asynchronously: see postgres-store.ts). */
  db?: Db;
}

/** The stored key of a limit's counter: the same layout rate-limiter-flexible uses, so stores agree. */
export const storedKey = (spec: LimitSpec, key: string) => `nyckel:${spec.name}:${key}`;

export const refusedAfter = (ms: number): LimitResult => ({ ok: false, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });

/** Redis or memory, through rate-limiter-flexible; batches are its single-key calls run together. */
function createFlexibleStore(redis: Redis | undefined): LimitStore {
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = (spec: LimitSpec) => {
    let rl = limiters.get(spec.name);
    if (!rl) {
      const opts = { keyPrefix: `nyckel:${spec.name}`, points: spec.points, duration: spec.durationSeconds, blockDuration: spec.blockSeconds ?? 0 };
      rl = redis ? new RateLimiterRedis({ ...opts, storeClient: redis }) : new RateLimiterMemory(opts);
      limiters.set(spec.name, rl);
    }
    return rl;
  };
  const consumeOne = async (spec: LimitSpec, key: string, points: number): Promise<LimitResult> => {
    try {
      const res = await limiterFor(spec).consume(key, points);
      return { ok: true, remaining: res.remainingPoints };
    } catch (err) {
      if (err instanceof RateLimiterRes) return refusedAfter(err.msBeforeNext);
      throw err;
    }
  };
  const checkOne = async (spec: LimitSpec, key: string): Promise<LimitResult> => {
    const res = await limiterFor(spec).get(key);
    if (res && res.consumedPoints >= spec.points) return refusedAfter(res.msBeforeNext);
    return { ok: true, remaining: spec.points - (res?.consumedPoints ?? 0) };
  };
  return {
    consume: (items) => Promise.all(items.map((i) => consumeOne(i.spec, i.key, i.points))),
    check: (items) => Promise.all(items.map((i) => checkOne(i.spec, i.key))),
    async reward(spec, key, points) {
      await limiterFor(spec).reward(key, points);
    },
    async reset(spec, key) {
      await limiterFor(spec).delete(key);
    },
    async block(spec, key, seconds) {
      await limiterFor(spec).block(key, seconds);
    },
  };
}

export function createLimitStore(backend: LimitBackend): LimitStore {
  if (backend.redis) return createFlexibleStore(backend.redis);
  if (backend.db) return createPostgresLimitStore(backend.db);
  return createFlexibleStore(undefined);
}

export function createLimiter(spec: LimitSpec, store: LimitStore): Limiter {
  return {
    spec,
    consume: async (key, points = 1) => (await store.consume([{ spec, key, points }]))[0]!,
    reward: (key, points = 1) => store.reward(spec, key, points),
    check: async (key) => (await store.check([{ spec, key }]))[0]!,
    reset: (key) => store.reset(spec, key),
    block: (key, seconds) => store.block(spec, key, seconds),
  };
}
