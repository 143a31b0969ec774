/**
 * Coalesces accepted batches into at most one push per interval, so a probe fleet
 * replaying its spool does not flood browsers: whatever arrives inside one interval goes
 * out as one message holding the newest `maxItems` items and the counts of all of them.
 */
import type { CoalescedPush, FeedItem } from './feed';

export interface Coalescer {
  add(items: readonly FeedItem[]): void;
  /** Send what is pending now and stop the timer. */
  close(): void;
}

export function createCoalescer(emit: (push: CoalescedPush) => void, options: { intervalMs: number; maxItems: number }): Coalescer {
  let pending: FeedItem[] = [];
  let counts: CoalescedPush['counts'] = {};
  let total = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastEmit = Number.NEGATIVE_INFINITY;

  const flush = () => {
    timer = null;
    if (total === 0) return;
    const items = pending.slice(-options.maxItems);
    const push: CoalescedPush = { items, counts, dropped: total - items.length };
    pending = [];
    counts = {};
    total = 0;
    lastEmit = performance.now();
    emit(push);
  };

  return {
    add(items) {
      for (const item of items) {
        counts[item.type] = (counts[item.type] ?? 0) + 1;
        pending.push(item);
        total += 1;
      }
      // Keep memory bounded between flushes; counts still cover everything.
      if (pending.length > options.maxItems * 4) pending = pending.slice(-options.maxItems);
      if (timer || total === 0) return;
      const wait = Math.max(0, lastEmit + options.intervalMs - performance.now());
      timer = setTimeout(flush, wait);
    },
    close() {
      if (timer) clearTimeout(timer);
      flush();
    },
  };
}
