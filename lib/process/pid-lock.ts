/**
 * A directory owned by one process, marked by a lock file holding its pid. A lock left by
 * a process that is gone (a crash, kill -9) is taken over, so a restart never fails; one
 * held by a live process is refused with its pid. Used by the PGlite data directory (two
 * instances on one directory silently lose writes) and the probe's spool (two writers would
 * interleave segments and acks).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The pid in `dir/file`, if that process is alive. */
export function lockHolder(dir: string, file: string): number | null {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path.join(dir, file), 'utf8'), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (pid === process.pid) return pid;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but another user's; it still holds the directory.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

const held = new Set<string>();

/**
 * Take `dir` for this process; returns the release function. `refuse(pid)` builds the
 * error for a directory held by another live process (or by this one, already).
 */
export function acquirePidLock(dir: string, file: string, refuse: (pid: number) => Error): () => void {
  const lockPath = path.join(dir, file);
  const holder = lockHolder(dir, file);
  // Our own pid in the file but not held here: a previous run that reused our pid (pid 1
  // in a restarted container), so it is stale.
  if (holder !== null && (holder !== process.pid || held.has(lockPath))) throw refuse(holder);
  if (holder === null) rmSync(lockPath, { force: true });
  let fd: number;
  try {
    // 'wx' fails if another starter won the race between the check and this write.
    fd = openSync(lockPath, holder === process.pid ? 'w' : 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(lockHolder(dir, file) ?? -1);
    throw err;
  }
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  held.add(lockPath);
  return () => {
    held.delete(lockPath);
    if (lockHolder(dir, file) === process.pid) rmSync(lockPath, { force: true });
  };
}
