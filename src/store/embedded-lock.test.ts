import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from './embedded-lock.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const lockFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'nyckel-lock-'));
  dirs.push(dir);
  return join(dir, 'pgdata.lock');
};

describe('lockDataDir', () => {
  it('lets one holder in at a time, naming the holder to the next', async () => {
    const file = lockFile();
    // Another live process holds it.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(file, String(holder.pid));
      expect(() => lockDataDir(file)).toThrow(DataDirInUseError);
      expect(() => lockDataDir(file)).toThrow(new RegExp(`in use by process ${holder.pid}`));
      expect(readFileSync(file, 'utf8')).toBe(String(holder.pid)); // untouched
    } finally {
      holder.kill();
    }
  });

  it('takes over a lock whose process is gone, and releases it on close', () => {
    const file = lockFile();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(file, gone);
    const release = lockDataDir(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(file)).toBe(false);
    lockDataDir(file)(); // free again
  });

  it('treats its own pid in the file as a previous life (a restarted container), not as another holder', () => {
    const file = lockFile();
    writeFileSync(file, String(process.pid));
    const release = lockDataDir(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    release();
  });
});
