/**
 * One process per PGlite data directory. Two PGlite instances on one directory raise no
 * error and silently lose writes, so we refuse the second opener ourselves. A lock left
 * by a process that is gone (a crash, kill -9) is taken over, so a restart never fails.
 */
import { acquirePidLock, lockHolder as holderOf } from '../lib/process/pid-lock';

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

/** The pid holding the data directory, if that process is alive. */
export function lockHolder(dataDir: string): number | null {
  return holderOf(dataDir, LOCK_FILE);
}

/** Take the directory for this process; returns the release function. */
export function acquireDataDirLock(dataDir: string): () => void {
  return acquirePidLock(dataDir, LOCK_FILE, (pid) => new DataDirLockedError(dataDir, pid));
}
