import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.ts';

describe('mail settings', () => {
  it('default to 50 rows per pass and 4 sends (SMTP sessions) at once', () => {
    expect(loadConfig({}).mail).toMatchObject({ batchSize: 50, concurrency: 4 });
  });

  it('are read from NYCKEL_MAIL_* without dropping the file’s other mail keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nyckel-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ mail: { maxAttempts: 3, batchSize: 10 } }));
    const config = loadConfig({ NYCKEL_CONFIG: file, NYCKEL_MAIL_BATCH_SIZE: '100', NYCKEL_MAIL_CONCURRENCY: '8' });
    expect(config.mail).toMatchObject({ maxAttempts: 3, batchSize: 100, concurrency: 8 });
  });

  it('are bounded', () => {
    expect(() => loadConfig({ NYCKEL_MAIL_CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ NYCKEL_MAIL_CONCURRENCY: '33' })).toThrow(/mail\.concurrency/);
    expect(() => loadConfig({ NYCKEL_MAIL_BATCH_SIZE: '501' })).toThrow(/mail\.batchSize/);
  });
});

describe('SMTP settings', () => {
  it('take smtp:// and smtps:// URLs, or nothing (the dev inbox)', () => {
    expect(loadConfig({ NYCKEL_SMTP_URL: 'smtp://user:p%40ss@mail.example.com:587' }).smtpUrl).toBe('smtp://user:p%40ss@mail.example.com:587');
    expect(loadConfig({ NYCKEL_SMTP_URL: 'smtps://mail.example.com' }).smtpUrl).toBe('smtps://mail.example.com');
    expect(loadConfig({}).smtpUrl).toBeUndefined();
  });

  it('refuse anything else in one clear message, before the server starts', () => {
    for (const bad of ['mail.example.com:587', 'http://mail.example.com', 'smtp://', 'smtp//mail.example.com']) {
      expect(() => loadConfig({ NYCKEL_SMTP_URL: bad }), bad).toThrow(/smtpUrl: must be smtp:\/\/\[user:password@\]host\[:port\] or smtps:\/\//);
    }
    expect(() => loadConfig({ NYCKEL_MAIL_FROM: 'Contoso <a@b.example>\r\nBcc: x@y.example' })).toThrow(/mailFrom: must be one line/);
    expect(() => loadConfig({ NYCKEL_MAIL_FROM: 'Contoso' })).toThrow(/mailFrom/);
  });
});

describe('prepared statements', () => {
  it('are on by default, off with NYCKEL_DATABASE_PREPARED_STATEMENTS=false, and refuse other words', () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ NYCKEL_DATABASE_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements).toBe(false);
    expect(() => loadConfig({ NYCKEL_DATABASE_PREPARED_STATEMENTS: 'no' })).toThrow(/databasePreparedStatements: must be true or false/);
  });
});
