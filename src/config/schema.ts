// The one configuration object. Every setting has a documented default here; env vars (NYCKEL_*) and an
// optional JSON file override it (see load.ts). Insecure combinations are reported by `insecureSettings`.
import { z } from 'zod';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: 'must be true or false' }).transform((v) => v === true || v === 'true' || v === '1');

export const configSchema = z.object({
  /** TCP port of the HTTP(S) server. */
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Interface to bind. Loopback by default (safer); set 0.0.0.0 behind a proxy or in a container. */
  host: z.string().default('127.0.0.1'),
  /** Public origin used for every link and the OIDC issuer; never derived from request headers. */
  publicUrl: z.url().default('http://localhost:8080'),
  /** Folder for the embedded database, the generated server secret and the local CLI secret. */
  dataDir: z.string().default('./nyckel-data'),
  /** postgres://… to use PostgreSQL; empty = embedded PGlite in dataDir. */
  databaseUrl: z.string().optional(),
  /**
   * Server processes (node:cluster workers sharing the port). `auto` = one per CPU. Only with PostgreSQL:
   * the embedded database admits one process. Default 1.
   */
  workers: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)]).optional(),
  /** Max pg pool size per process. */
  databasePoolSize: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Run statements as named prepared statements (parsed once per connection). Turn off behind a pooler that
   * does not keep them per client, e.g. PgBouncer in transaction mode before 1.21.
   */
  databasePreparedStatements: bool.default(true),
  /** smtp://user:pass@host:port (or smtps://); empty = dev inbox at /dev/mail. */
  smtpUrl: z
    .string()
    .refine((v) => v === '' || isSmtpUrl(v), 'must be smtp://[user:password@]host[:port] or smtps://…')
    .optional(),
  /** From address of every message. */
  mailFrom: z
    .string()
    .refine((v) => !/[\r\n]/.test(v) && /@/.test(v), 'must be one line with an address, e.g. Contoso <no-reply@contoso.com>')
    .default('Nyckel <no-reply@localhost>'),
  /** redis://… for rate-limit counters shared by many processes. */
  redisUrl: z.string().optional(),
  /** Server secret (≥ 32 chars) keying code HMACs, CSRF and key encryption. Generated into dataDir if unset. */
  secret: z.string().min(32).optional(),
  /** Trust X-Forwarded-For for the client IP (only behind a proxy you run). Never used for links. */
  trustProxy: bool.default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  /** Seed the demo tenant `contoso` on first start. */
  seedDemo: bool.default(true),
  /** Serve /dev/mail (the dev inbox). On by default only when no SMTP is configured. */
  devInbox: bool.optional(),
  codes: z
    .object({
      /** Lifetime of an emailed code (NIST/OWASP: short-lived). Bounded to 1–60 minutes. */
      ttlSeconds: z.coerce.number().int().min(60).max(3600).default(600),
      /** Wrong guesses allowed per code. */
      maxAttempts: z.coerce.number().int().min(1).max(10).default(5),
      /** Wrong guesses allowed per address per hour, across codes and flows. */
      maxFailuresPerAddress: z.coerce.number().int().min(1).max(100).default(10),
      /** Minimum seconds between two codes for one flow ("Send new code"). */
      resendCooldownSeconds: z.coerce.number().int().min(0).max(600).default(30),
    })
    .prefault({}),
  limits: z
    .object({
      /** Codes sent per address per hour. */
      codesPerAddressPerHour: z.coerce.number().int().min(1).default(5),
      /** Reset requests per IP per 10 minutes. */
      resetRequestsPerIp: z.coerce.number().int().min(1).default(50),
      /** Sign-in failures per account before a lock (B2C: 10). */
      signInFailuresPerAccount: z.coerce.number().int().min(1).default(10),
      /** The first lockout of an account lasts this long; each further one within 24 hours twice as long (B2C: 60 s, growing). */
      signInLockoutSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
      /** The longest lockout. */
      signInLockoutMaxSeconds: z.coerce.number().int().min(1).max(86_400).default(3600),
      /** Sign-in failures per IP per 15 minutes. */
      signInFailuresPerIp: z.coerce.number().int().min(1).default(100),
    })
    .prefault({}),
  flows: z
    .object({
      /** Lifetime of a self-service flow. */
      ttlSeconds: z.coerce.number().int().min(60).max(86400).default(900),
    })
    .prefault({}),
  sessions: z
    .object({
      ttlSeconds: z.coerce.number().int().min(60).default(86400),
    })
    .prefault({}),
  hashing: z
    .object({
      /** argon2 hash threads (credentials/hash-threads.ts). Default: one per CPU, shared among cluster workers. */
      concurrency: z.coerce.number().int().min(1).max(64).optional(),
      /** Hashes allowed to wait; beyond this a request is refused with 503 rather than queued. */
      maxQueue: z.coerce.number().int().min(1).default(256),
    })
    .prefault({}),
  mail: z
    .object({
      /** Delivery attempts before an outbox row is dead-lettered. */
      maxAttempts: z.coerce.number().int().min(1).max(50).default(8),
      /** Poll interval of the dispatcher (it is also woken on every new message). */
      pollMs: z.coerce.number().int().min(50).default(1000),
      /** Outbox rows the dispatcher claims per pass; their outcome is recorded in one statement. */
      batchSize: z.coerce.number().int().min(1).max(500).default(50),
      /** SMTP sessions kept open (each carries many messages, two at a time when pipelined); dev inbox: sends in flight. */
      concurrency: z.coerce.number().int().min(1).max(32).default(4),
      /** With PostgreSQL, run the dispatcher on a thread of its own (off the request thread). */
      thread: bool.default(true),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Settings that work but should not be used in production; printed as warnings at start. */
export function insecureSettings(config: Config): string[] {
  const warnings: string[] = [];
  const url = new URL(config.publicUrl);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !local) warnings.push('publicUrl is not https: cookies cannot be Secure');
  if (config.databaseUrl && !config.secret) warnings.push('NYCKEL_SECRET is unset: every process must share one secret');
  if (!config.smtpUrl) warnings.push('no SMTP configured: mail goes to the dev inbox at /dev/mail');
  if (config.trustProxy) warnings.push('trustProxy is on: X-Forwarded-For decides client IPs (rate limits)');
  return warnings;
}

function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}
