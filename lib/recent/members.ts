/**
 * Which drops a signature shows as its members: the latest `sample` of each window by end
 * (ties by id, byte order), as db/queries/analysis.ts' windowMembers picks them in SQL.
 * There each window is a backward scan of the endings index that stops at its 500th
 * member; a window whose members are few and spread over the range reads the whole range
 * (a week: ~1M index entries, ~150 ms a window). Here the same walk over the hour blocks,
 * newest first, stops for all windows at once; only the chosen ids go to the database,
 * for the columns the store does not hold (headers, the target's view).
 *
 * A member is a drop whose 100 ms bin starts in [lowMs, highMs): findPeaks puts window
 * edges on bin edges, so this is the test the histogram's count made.
 */
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { PROBE_CLOSED, type EndingBlock, type RecentSessions } from './sessions';
import { splitWhole } from './whole-range';

export interface MemberWindow {
  dimension: 'age' | 'idle';
  lowMs: number;
  highMs: number;
}

const probeClosed = PROBE_CLOSED;

/** For each window, the ids of its latest `sample` members, newest first. */
export function latestMembers(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], windows: readonly MemberWindow[], binMs: number, sample: number): string[][] {
  const mask = pathMask(store.paths.values, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  // A bin's window by bin index, per dimension (windows of one dimension never overlap).
  const tableOf = (dimension: MemberWindow['dimension']) => {
    const mine = windows.map((w, i) => ({ w, i })).filter((x) => x.w.dimension === dimension);
    const table = new Int16Array(mine.reduce((n, x) => Math.max(n, Math.ceil(x.w.highMs / binMs)), 0)).fill(-1);
    for (const { w, i } of mine) table.fill(i, Math.max(0, Math.ceil(w.lowMs / binMs)), Math.ceil(w.highMs / binMs));
    return table;
  };
  const ageWindow = tableOf('age');
  const idleWindow = tableOf('idle');
  /** The window holding value v's bin, or -1 (NaN: the value is unknown). */
  const windowOf = (table: Int16Array, v: number, dimension: MemberWindow['dimension']): number => {
    const bin = Math.floor(v / binMs);
    if (bin >= 0) return bin < table.length ? table[bin]! : -1;
    // A negative value (a malformed row) may still fall in a window reaching below zero.
    if (bin !== bin) return -1;
    return windows.findIndex((w) => w.dimension === dimension && bin * binMs >= w.lowMs && bin * binMs < w.highMs);
  };
  /** Each window's latest `sample` members among `blocks` (newest hour first), by end then id. */
  const latest = (blocks: readonly EndingBlock[]): Member[][] => {
    const found: { block: EndingBlock; row: number }[][] = windows.map(() => []);
    for (const b of blocks) {
      const { path, endedAt, endKind, age, idle } = b;
      const whole = b.wholeIn(from, to);
      for (let i = 0; i < b.length; i++) {
        if (mask[path[i]!] !== 1 || endKind[i] === probeClosed) continue;
        if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
        const wa = windowOf(ageWindow, age[i]!, 'age');
        if (wa >= 0) found[wa]!.push({ block: b, row: i });
        const wi = windowOf(idleWindow, idle[i]!, 'idle');
        if (wi >= 0) found[wi]!.push({ block: b, row: i });
      }
      // Every row of an older block ended before every row of this one.
      if (found.every((f) => f.length >= sample)) break;
    }
    return found.map((members) => newest(members.map(({ block, row }) => ({ endedAt: block.endedAt[row]!, id: block.idAt(row) })), sample));
  };

  // The whole hours' choice from the memo when they did not change (lib/recent/whole-range.ts).
  const { whole, edges } = splitWhole(store.blocksIn(from, to), from, to);
  const key = ['members', binMs, sample, store.paths.values.length, mask.join(''), windows.map((w) => `${w.dimension}:${w.lowMs}:${w.highMs}`).join(',')].join('|');
  const kept = store.memo.get(key, whole, () => latest([...whole].reverse()));
  const atEdges = latest([...edges].sort((a, b) => b.hour - a.hour));
  return kept.map((members, w) => newest([...members, ...atEdges[w]!], sample).map((m) => m.id));
}

interface Member {
  endedAt: number;
  id: string;
}

/** The latest `sample` members, newest first; ties by id in byte order (as the SQL orders them: `collate "C"`). */
function newest(members: Member[], sample: number): Member[] {
  return members.sort((x, y) => y.endedAt - x.endedAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)).slice(0, sample);
}
