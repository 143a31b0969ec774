/**
 * The overview's two reads over its whole window, from the store: the attempts and how many
 * were answered with HTTP 101, and the histogram of ended sessions' durations. Same answers
 * as db/queries/overview.ts' SQL (test/db/recent.test.ts), which says what each counts; its
 * window is (from, to], not [from, to).
 */
import { binWidthFor } from '../overview/histogram-bins';
import type { DurationHistogram } from '../overview/overview';
import { NO_CODE, PROBE_CLOSED, type RecentSessions } from './sessions';

const none = NO_CODE;
const probeClosed = PROBE_CLOSED;

/** Sessions attempted in (from, to] with a known outcome, and those answered 101. */
export function attemptCounts(store: RecentSessions, from: number, to: number): { attempts: number; upgrades: number } {
  let attempts = 0;
  let upgrades = 0;
  store.eachAttempted(from, to, (_path, at, outcome, upgraded) => {
    if (at === from || outcome === none) return;
    attempts++;
    upgrades += upgraded;
  });
  return { attempts, upgrades };
}

/** Sessions ended in (from, to] with a duration, in centred bins of a width fitted to the longest. */
export function durationHistogram(store: RecentSessions, from: number, to: number): DurationHistogram {
  const blocks = store.blocksIn(from, to + 1);
  let max = -Infinity;
  for (const b of blocks) {
    const { endedAt, duration } = b;
    for (let i = 0; i < b.length; i++) if (endedAt[i]! > from && endedAt[i]! <= to && duration[i]! > max) max = duration[i]!;
  }
  if (max === -Infinity) return { binWidthMs: 0, bins: [] };
  const binWidthMs = binWidthFor(max);
  // Centred bins (lib/overview/histogram-bins.ts): bin k holds [(k - 1/2)w, (k + 1/2)w).
  const last = Math.floor(max / binWidthMs + 0.5);
  const bins = Array.from({ length: last + 1 }, (_, k) => ({ startMs: (k - 0.5) * binWidthMs, count: 0, drops: 0 }));
  for (const b of blocks) {
    const { endedAt, duration, endKind } = b;
    for (let i = 0; i < b.length; i++) {
      const d = duration[i]!;
      if (!(endedAt[i]! > from && endedAt[i]! <= to) || d !== d) continue;
      const bin = bins[Math.floor(d / binWidthMs + 0.5)];
      if (!bin) continue;
      bin.count++;
      if (endKind[i] !== probeClosed) bin.drops++;
    }
  }
  return { binWidthMs, bins };
}
