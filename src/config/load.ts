// Loads the config: defaults < optional JSON file (NYCKEL_CONFIG) < NYCKEL_* env vars < explicit overrides.
import { readFileSync } from 'node:fs';
import { configSchema, type Config, type ConfigInput } from './schema.ts';

const envMap: Record<string, string> = {
  NYCKEL_PORT: 'port',
  NYCKEL_HOST: 'host',
  NYCKEL_PUBLIC_URL: 'publicUrl',
  NYCKEL_DATA_DIR: 'dataDir',
  NYCKEL_DATABASE_URL: 'databaseUrl',
  NYCKEL_DATABASE_POOL_SIZE: 'databasePoolSize',
  NYCKEL_DATABASE_PREPARED_STATEMENTS: 'databasePreparedStatements',
  NYCKEL_WORKERS: 'workers',
  NYCKEL_SMTP_URL: 'smtpUrl',
  NYCKEL_MAIL_FROM: 'mailFrom',
  NYCKEL_MAIL_BATCH_SIZE: 'mail.batchSize',
  NYCKEL_MAIL_CONCURRENCY: 'mail.concurrency',
  NYCKEL_MAIL_THREAD: 'mail.thread',
  NYCKEL_REDIS_URL: 'redisUrl',
  NYCKEL_SECRET: 'secret',
  NYCKEL_TRUST_PROXY: 'trustProxy',
  NYCKEL_LOG_LEVEL: 'logLevel',
  NYCKEL_TLS_CERT: 'tlsCert',
  NYCKEL_TLS_KEY: 'tlsKey',
  NYCKEL_SEED_DEMO: 'seedDemo',
  NYCKEL_DEV_INBOX: 'devInbox',
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  let fileValues: Record<string, unknown> = {};
  if (env.NYCKEL_CONFIG) {
    try {
      fileValues = JSON.parse(readFileSync(env.NYCKEL_CONFIG, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`cannot read NYCKEL_CONFIG ${env.NYCKEL_CONFIG}: ${(err as Error).message}`);
    }
  }
  const envValues: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(envMap)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // `group.key` sets one key of a nested group, keeping the file's other keys of that group.
    const [group, leaf] = key.split('.') as [string, string | undefined];
    if (leaf === undefined) envValues[key] = value;
    else envValues[group] = { ...asObject(fileValues[group]), ...asObject(envValues[group]), [leaf]: value };
  }
  const merged: Record<string, unknown> = { ...fileValues, ...envValues, ...overrides };
  // Without an explicit public URL, links point at this machine on the configured port.
  if (merged.publicUrl === undefined && merged.port !== undefined && Number(merged.port) > 0) merged.publicUrl = `http://localhost:${Number(merged.port)}`;
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`invalid config ${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const asObject = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Builds a config from explicit values only (tests, embedding), ignoring the environment. */
export function configFrom(values: ConfigInput): Config {
  return loadConfig({}, values);
}
