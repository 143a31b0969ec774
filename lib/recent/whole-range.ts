/**
 * What a pass over a range's whole hours computed, kept for the next pass over the same
 * hours. The dashboard asks the same questions over and over (a live page refetches its
 * report on every update, the alert evaluator every minute), and a week's report reads
 * ~1M endings, of which all but the first and last hour's lie in hours that no longer
 * change: ingest adds endings to the hour they ended in, which for a live probe is the
 * current one. So a pass splits its range into the hours wholly inside it and the two at
 * its edges; the first part comes from here when none of its blocks changed since (a
 * replayed spool ending in an old hour bumps that block's version, and the next pass
 * computes it afresh), the edges are read row by row every time.
 *
 * Entries are keyed by the caller (what it computed and for which filters) and by the run
 * of blocks; the least recently used are evicted beyond a budget of memory.
 */
/** An hour block of the store's (endings, RTT minutes). */
export interface HourBlock {
  readonly hour: number;
  /** Bumped by every change to the block. */
  readonly version: number;
  wholeIn(from: number, to: number): boolean;
}

interface Entry {
  blocks: readonly HourBlock[];
  versions: Float64Array;
  value: unknown;
  bytes: number;
  used: number;
}

/**
 * What a memo may hold, estimated (bytesOf): a few filters' worth of each report's passes.
 * An entry is a few MB at a week of a large fleet (the egress runs, the RTT sums: 8 bytes a
 * minute per target × proxy and sum), more at 30 days.
 */
const BUDGET_BYTES = 160 * 2 ** 20;

export class WholeRangeMemo {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly budgetBytes = BUDGET_BYTES) {}

  /**
   * `compute()`'s value for `blocks` (the whole hours of a range, in hour order) under
   * `key`: the one kept when the same blocks are unchanged since, else computed now.
   * The value is shared: callers copy before adding to it.
   */
  get<T>(key: string, blocks: readonly HourBlock[], compute: () => T): T {
    const id = `${key}\u0001${blocks[0]?.hour ?? ''}-${blocks.at(-1)?.hour ?? ''}`;
    const entry = this.entries.get(id);
    if (entry && unchanged(entry, blocks)) {
      this.hits++;
      entry.used = ++this.clock;
      return entry.value as T;
    }
    this.misses++;
    const value = compute();
    const bytes = bytesOf(value);
    this.entries.delete(id);
    this.entries.set(id, { blocks: [...blocks], versions: Float64Array.from(blocks, (b) => b.version), value, bytes, used: ++this.clock });
    this.evict();
    return value;
  }

  /** Estimated bytes held. */
  get size(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.bytes;
    return n;
  }

  /** Least recently used first, until the entries fit the budget (the newest always stays). */
  private evict(): void {
    let total = this.size;
    while (total > this.budgetBytes && this.entries.size > 1) {
      let oldest: string | null = null;
      let least = Infinity;
      for (const [k, e] of this.entries) if (e.used < least) [oldest, least] = [k, e.used];
      total -= this.entries.get(oldest!)!.bytes;
      this.entries.delete(oldest!);
    }
  }

  /** Drop every entry (the store forgot old hours). */
  clear(): void {
    this.entries.clear();
  }
}

/** A rough size of what a pass kept: typed arrays by their bytes, numbers and references at 8, strings at 2 a character. */
export function bytesOf(value: unknown, seen = new Set<object>()): number {
  if (typeof value === 'string') return 16 + 2 * value.length;
  if (value === null || typeof value !== 'object') return 8;
  if (seen.has(value)) return 8;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
  let n = 32;
  if (value instanceof Map) for (const [k, v] of value) n += bytesOf(k, seen) + bytesOf(v, seen);
  else if (Array.isArray(value)) for (const v of value) n += bytesOf(v, seen);
  else for (const v of Object.values(value)) n += bytesOf(v, seen);
  return n;
}

function unchanged(entry: Entry, blocks: readonly HourBlock[]): boolean {
  if (entry.blocks.length !== blocks.length) return false;
  for (let i = 0; i < blocks.length; i++) if (entry.blocks[i] !== blocks[i] || entry.versions[i] !== blocks[i]!.version) return false;
  return true;
}

/** A range's blocks split into those wholly inside [from, to), in hour order, and the rest. */
export function splitWhole<B extends HourBlock>(blocks: readonly B[], from: number, to: number): { whole: B[]; edges: B[] } {
  const whole: B[] = [];
  const edges: B[] = [];
  for (const b of blocks) (b.wholeIn(from, to) ? whole : edges).push(b);
  whole.sort((a, b) => a.hour - b.hour);
  return { whole, edges };
}
