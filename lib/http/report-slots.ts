/**
 * Admission control for the heavy reports (the drops page, the analysis, a path's page):
 * at most DROPSCOPE_REPORT_CONCURRENCY of them are computed at once in this process, the
 * others wait in arrival order (p-limit). The way Prometheus bounds its queries
 * (`--query.max-concurrency`): a report of a week decodes and sums hundreds of thousands of
 * aggregate cells, and ten of them at once did not finish sooner than two at a time on two
 * cores, they only held ten times the memory (peak RSS 565 MiB at 1M sessions with six
 * at once) and every pool connection.
 *
 * One limiter per process, shared by every route bundle and page (Next bundles them apart)
 * through globalThis. Only the outermost call takes a slot: a report never calls another
 * through here, or two of them could wait for each other's slots.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { reportConcurrencyLimit } from '../config/server-env';

const SLOTS = Symbol.for('dropscope.report-slots');
type Holder = { [SLOTS]?: LimitFunction };

/** The process's limiter, made on first use with the configured concurrency. */
export function reportSlots(): LimitFunction {
  const g = globalThis as Holder;
  return (g[SLOTS] ??= pLimit(reportConcurrencyLimit()));
}

/** `compute()` once a slot is free. */
export function inReportSlot<T>(compute: () => Promise<T>): Promise<T> {
  return reportSlots()(compute);
}

/** Reports being computed and waiting (for /metrics). */
export function reportSlotUse(): { active: number; waiting: number } {
  const slots = (globalThis as Holder)[SLOTS];
  return { active: slots?.activeCount ?? 0, waiting: slots?.pendingCount ?? 0 };
}
