/**
 * The bench probes' emit, as agent/probe.ts does it: every event a canary emits is appended
 * to the spool (appends serialized by the spool), counted by type; `also` sees each event
 * first (the soak counts failures and endings per path).
 */
import type { IngestEvent } from '../lib/contracts/ingest';
import type { Spool } from '../agent/spool';

export function spoolEmitter(spool: Spool, also?: (event: IngestEvent) => void) {
  const events: Record<string, number> = {};
  const appending = new Set<Promise<void>>();
  let appendFailures = 0;
  return {
    events,
    get appendFailures() {
      return appendFailures;
    },
    emit(event: IngestEvent): void {
      events[event.type] = (events[event.type] ?? 0) + 1;
      also?.(event);
      const p = spool
        .append([event])
        .catch(() => void (appendFailures += 1))
        .finally(() => appending.delete(p));
      appending.add(p);
    },
    /** Every append made so far has landed (or failed). */
    settled: () => Promise.all(appending),
  };
}
