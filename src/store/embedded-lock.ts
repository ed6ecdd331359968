// One process at a time opens the embedded database. PGlite does not lock its data directory, and two processes
// writing one directory (a second `npm start`, or a CLI command that missed the running server) would corrupt
// it. The lock is a file next to the data holding the owner's pid. It appears complete or not at all: the pid
// is written to a file of our own, which is then hard-linked to the lock's name (a link fails if the name
// exists). A lock whose process is gone (a crash, a kill -9) is taken over.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export class DataDirInUseError extends Error {
  constructor(
    readonly lockFile: string,
    readonly pid: number,
  ) {
    super(`the embedded database is in use by process ${pid} (is Nyckel already running? stop it, or use another NYCKEL_DATA_DIR; if no such process is Nyckel, delete ${lockFile})`);
    this.name = 'DataDirInUseError';
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Takes the lock (or throws DataDirInUseError); the returned function releases it. */
export function lockDataDir(lockFile: string): () => void {
  const mine = `${lockFile}.${process.pid}`;
  writeFileSync(mine, String(process.pid), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, lockFile);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          rmSync(lockFile, { force: true });
        };
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw err;
      }
      const owner = Number.parseInt(readFileSync(lockFile, 'utf8').trim(), 10);
      // As PostgreSQL does with postmaster.pid: our own pid or our parent's in the file means a previous life of
      // this container (pids start over at each start), so that lock is stale too.
      const ours = owner === process.pid || owner === process.ppid;
      if (Number.isInteger(owner) && owner > 0 && !ours && processAlive(owner)) throw new DataDirInUseError(lockFile, owner);
      // A stale lock: remove it and try again.
      rmSync(lockFile, { force: true });
    }
    throw new Error(`could not take the lock ${lockFile}`);
  } finally {
    rmSync(mine, { force: true });
  }
}
