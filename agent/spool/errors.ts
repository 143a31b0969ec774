/** The spool's errors: a stable `code` each, re-exported by agent/spool.ts. */

export type SpoolErrorCode = 'PROBE_ERR_SPOOL_LOCKED' | 'PROBE_ERR_SPOOL_CLOSED' | 'PROBE_ERR_SPOOL_IO' | 'PROBE_ERR_SPOOL_UNUSABLE';

export class SpoolError extends Error {
  constructor(
    readonly code: SpoolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpoolError';
  }
}

export class SpoolLockedError extends SpoolError {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super('PROBE_ERR_SPOOL_LOCKED', `spool directory ${dir} is in use by process ${pid}; run one probe per spool directory`);
    this.name = 'SpoolLockedError';
  }
}

/** The errno code of a Node I/O error (`ENOSPC`, `EROFS` ...), if it is one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * The error says the directory (or a file in it) is gone: ENOENT, or ENOTDIR when something
 * that is not a directory now stands where it was.
 */
export function isRemoval(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** `ENOSPC: no space left on device` out of Node's `ENOSPC: no space left on device, write`. */
export function describeCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n', 1)[0]!;
  return errnoCode(err) ? (/^(E[A-Z0-9]+: [^,]+)/.exec(firstLine)?.[1] ?? firstLine) : firstLine;
}

/** The one-line message of an error, for `lastError` and one-line reports. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!;
}
