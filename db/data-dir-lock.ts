/**
 * One process per PGlite data directory. Two PGlite instances on one directory raise no
 * error and silently lose writes, so we refuse the second opener ourselves. A lock left
 * by a process that is gone (a crash, kill -9) is taken over, so a restart never fails.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'dropscope.lock';

export class DataDirLockedError extends Error {
  readonly code = 'DB_ERR_LOCKED';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `data directory ${dataDir} is in use by process ${pid}; PGlite allows one process per directory. ` +
        'Stop that process, or use PostgreSQL (DATABASE_URL) to share the data.',
    );
  }
}

/** The pid holding the lock, if that process is alive. */
export function lockHolder(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(dataDir, LOCK_FILE), 'utf8'), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (pid === process.pid) return pid;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else; it still holds the directory.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

const held = new Set<string>();

/** Take the directory for this process; returns the release function. */
export function acquireDataDirLock(dataDir: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const holder = lockHolder(dataDir);
  if (holder !== null && (holder !== process.pid || held.has(dataDir))) throw new DataDirLockedError(dataDir, holder);
  if (holder === null) rmSync(file, { force: true });
  // 'wx' fails if another starter won the race between our check and this write.
  let fd: number;
  try {
    fd = openSync(file, holder === process.pid ? 'w' : 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new DataDirLockedError(dataDir, lockHolder(dataDir) ?? -1);
    throw err;
  }
  writeSync(fd, String(process.pid));
  closeSync(fd);
  held.add(dataDir);
  return () => {
    held.delete(dataDir);
    if (lockHolder(dataDir) === process.pid) rmSync(file, { force: true });
  };
}
