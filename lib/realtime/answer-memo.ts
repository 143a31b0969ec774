/**
 * Recent answers of live endpoints, kept in the process so that every viewer asking one
 * question at one watermark shares one computation: an answer in the memo is served while
 * it is younger than the age its caller allows, and concurrent askers of a key not yet
 * answered wait for the one computation in flight (single-flight) instead of starting
 * their own.
 *
 * Derived data only: the database stays the only truth, another server computes the same
 * answer from it, and losing the memo (a restart) costs one computation per key. Bounded
 * by entries and by size, least recently used evicted; expired entries go first.
 */

export interface AnswerMemoOptions {
  /** Most answers kept. */
  maxEntries: number;
  /** Most bytes kept, as `sizeOf` counts them. */
  maxBytes: number;
  /** A monotonic clock in ms (performance.now() in the server; a fake one in tests). */
  now(): number;
}

/** How `get` obtained its answer. */
export type AnswerSource = 'computed' | 'memo' | 'joined';

export interface MemoAnswer<T> {
  value: T;
  source: AnswerSource;
}

export interface AnswerMemo<T> {
  /**
   * The answer for `key`: from the memo when one younger than `maxAgeMs` is there, from the
   * computation in flight for `key` when one runs, else from `compute()`. A fulfilled
   * computation is kept when `keep(value)` says so (a 503 must not outlive the outage); a
   * rejected one is handed to everyone who waited for it and not kept.
   */
  get(key: string, maxAgeMs: number, compute: () => Promise<T>, keep?: (value: T) => boolean): Promise<MemoAnswer<T>>;
  /** Answers kept and their bytes (tests, metrics). */
  size(): { entries: number; bytes: number; inFlight: number };
}

interface Entry<T> {
  value: T;
  bytes: number;
  expiresAt: number;
}

/** @throws RangeError when a bound is not a positive number. */
export function createAnswerMemo<T>(options: AnswerMemoOptions, sizeOf: (value: T) => number): AnswerMemo<T> {
  if (!(options.maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${options.maxEntries}`);
  if (!(options.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${options.maxBytes}`);
  // A Map iterates in insertion order; a hit re-inserts its entry, so the first is the least recently used.
  const entries = new Map<string, Entry<T>>();
  const inFlight = new Map<string, Promise<T>>();
  let bytes = 0;

  const remove = (key: string, entry: Entry<T>) => {
    entries.delete(key);
    bytes -= entry.bytes;
  };

  const store = (key: string, value: T, expiresAt: number) => {
    const old = entries.get(key);
    if (old) remove(key, old);
    const entry: Entry<T> = { value, bytes: sizeOf(value), expiresAt };
    // One answer larger than the whole memo is served, not kept.
    if (entry.bytes > options.maxBytes) return;
    entries.set(key, entry);
    bytes += entry.bytes;
    const now = options.now();
    for (const [k, e] of entries) if (e.expiresAt <= now) remove(k, e);
    for (const [k, e] of entries) {
      if (entries.size <= options.maxEntries && bytes <= options.maxBytes) break;
      remove(k, e);
    }
  };

  return {
    async get(key, maxAgeMs, compute, keep = () => true) {
      const now = options.now();
      const hit = entries.get(key);
      if (hit && hit.expiresAt > now) {
        entries.delete(key);
        entries.set(key, hit);
        return { value: hit.value, source: 'memo' };
      }
      if (hit) remove(key, hit);
      const running = inFlight.get(key);
      if (running) return { value: await running, source: 'joined' };
      // Aged from when the computation started: its reads are at least that fresh, no fresher.
      const started = now;
      const computation = (async () => compute())();
      inFlight.set(key, computation);
      try {
        const value = await computation;
        if (keep(value)) store(key, value, started + maxAgeMs);
        return { value, source: 'computed' };
      } finally {
        inFlight.delete(key);
      }
    },
    size: () => ({ entries: entries.size, bytes, inFlight: inFlight.size }),
  };
}
