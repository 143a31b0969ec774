/**
 * One pass over a scope's endings that gathers, at once, whatever of these a report asks
 * for: the drops by age and by idle time in bins, the drops by ending and close code, the
 * silent deaths per path, the ladder rungs, and the minutes before each drop that the
 * RTT finding reads. A week holds ~1M endings; each separate pass over them cost ~10 ms
 * of loading the same columns again, so the analysis report asks for all of it in one.
 *
 * The answers equal db/queries' over the tables (test/db/recent.test.ts); db/queries/
 * findings.ts and drops.ts say what each counts and why.
 */
import { isApplicationCode } from '../analysis/close-codes';
import type { LadderRung, SilentGroup } from '../analysis/findings';
import type { EndKind } from '../contracts/ingest';
import { endKinds } from '../contracts/ingest';
import { groupPaths, median, nameOf } from './groups';
import type { RttCoverage } from './rtt-before-drops';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { END_KIND_CODE, NO_CODE, PONG_TIMEOUT, PROBE_CLOSED, type EndingBlock, type RecentSessions } from './sessions';
import { splitWhole } from './whole-range';

const MINUTE_MS = 60_000;

// Local copies of the store's codes: a bundler may turn an imported binding into a getter
// call per read, in loops over a million rows.
const none = NO_CODE;
const probeClosed = PROBE_CLOSED;
const pongTimeout = PONG_TIMEOUT;
const closeFrame = END_KIND_CODE.close_frame;

export interface RecentHistogram {
  /** Filled bins by index, `floor(value / widthMs)`, ascending. */
  bins: { bin: number; count: number }[];
  /** Drops whose value is unknown (null). */
  nulls: number;
  max: number | null;
}

export interface Endings {
  endKinds: { endKind: EndKind; count: number }[];
  closeCodes: { closeCode: number | null; count: number }[];
}

/** What to gather; each part costs only when asked for. */
export interface EndingsWanted {
  /** Drop histograms of age and idle time in bins of this width. */
  binMs?: number;
  endings?: boolean;
  silent?: boolean;
  ladder?: boolean;
  /** Mark the minutes before each drop for the RTT finding (lib/recent/rtt-before-drops.ts). */
  rtt?: RttCoverage;
}

export interface EndingsScan {
  age?: RecentHistogram;
  idle?: RecentHistogram;
  endings?: Endings;
  silent?: SilentGroup[];
  ladder?: LadderRung[];
}

/** Bins beyond this many go to a Map: a week-old drop in 50 ms bins must not allocate a dense array of millions. */
const DENSE_BINS = 1 << 18;

/** Counts by bin index: dense for the common range, a Map for the rest (negative or very large). */
class BinCounter {
  private dense = new Float64Array(1024);
  private readonly sparse = new Map<number, number>();
  nulls = 0;
  max = -Infinity;

  constructor(private readonly widthMs: number) {
    if (!Number.isFinite(widthMs) || widthMs <= 0) throw new RangeError(`not a bin width: ${widthMs}`);
  }

  add(v: number): void {
    if (v !== v) {
      this.nulls++;
      return;
    }
    if (v > this.max) this.max = v;
    const bin = Math.floor(v / this.widthMs);
    if (bin >= 0 && bin < DENSE_BINS) {
      if (bin >= this.dense.length) {
        const grown = new Float64Array(Math.min(DENSE_BINS, Math.max(bin + 1, this.dense.length * 2)));
        grown.set(this.dense);
        this.dense = grown;
      }
      this.dense[bin]! += 1;
    } else this.sparse.set(bin, (this.sparse.get(bin) ?? 0) + 1);
  }

  copy(): BinCounter {
    const c = new BinCounter(this.widthMs);
    c.dense = this.dense.slice();
    for (const [bin, n] of this.sparse) c.sparse.set(bin, n);
    c.nulls = this.nulls;
    c.max = this.max;
    return c;
  }

  histogram(): RecentHistogram {
    const bins: { bin: number; count: number }[] = [];
    for (let b = 0; b < this.dense.length; b++) if (this.dense[b]! > 0) bins.push({ bin: b, count: this.dense[b]! });
    if (this.sparse.size > 0) {
      for (const [bin, count] of this.sparse) bins.push({ bin, count });
      bins.sort((a, b) => a.bin - b.bin);
    }
    return { bins, nulls: this.nulls, max: this.max === -Infinity ? null : this.max };
  }
}

/** What a pass over some endings adds up; the groups are the request's (silent, ladder). */
interface Parts {
  age: BinCounter | null;
  idle: BinCounter | null;
  kinds: Float64Array | null;
  codes: Float64Array | null;
  silent: { count: number; quiet: number[]; neverAnswered: number }[] | null;
  ladder: { survived: number; died: number; seen: boolean }[] | null;
}

/** Where a drop's minute is marked for the RTT finding: `g` is its target × proxy among the scope's. */
interface MinuteMarks {
  mark(g: number, endedAt: number): void;
}

/** The paths' groupings a pass counts by, from the request's scope and probes. */
interface Grouping {
  mask: Uint8Array;
  silentOf: Int32Array | null;
  ladderOf: Int32Array | null;
  rttOf: Int32Array | null;
}

export function scanEndings(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], wanted: EndingsWanted): EndingsScan {
  const paths = store.paths.values;
  const mask = pathMask(paths, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const name = nameOf(probes);

  const silent = wanted.silent
    ? groupPaths(
        paths,
        (_p, i) => mask[i] === 1,
        (p) => `${name(p.probeId)}\u0000${p.target}\u0000${p.proxy}`,
        (p) => ({ probe: name(p.probeId), target: p.target, proxy: p.proxy }),
      )
    : null;
  const ladder = wanted.ladder
    ? groupPaths(
        paths,
        (p, i) => mask[i] === 1 && p.profileKind === 'ladder' && p.gapMs !== null,
        (p) => `${name(p.probeId)}\u0000${p.target}\u0000${p.proxy}\u0000${p.gapMs}`,
        (p) => ({ probe: name(p.probeId), target: p.target, proxy: p.proxy, gapMs: p.gapMs! }),
      )
    : null;
  const rtt = wanted.rtt?.pinged ? wanted.rtt : null;
  // Drops' minutes by target × proxy, whether or not the range has RTT minutes for it: the
  // part read from the memo must not depend on the range's RTT.
  const rttNames = rtt ? groupPaths(paths, (_p, i) => mask[i] === 1, (p) => `${p.target}\u0000${p.proxy}`, (p) => ({ target: p.target, proxy: p.proxy })) : null;
  const grouping: Grouping = { mask, silentOf: silent?.groupOf ?? null, ladderOf: ladder?.groupOf ?? null, rttOf: rttNames?.groupOf ?? null };
  const fresh = (): Parts => ({
    age: wanted.binMs !== undefined ? new BinCounter(wanted.binMs) : null,
    idle: wanted.binMs !== undefined ? new BinCounter(wanted.binMs) : null,
    kinds: wanted.endings ? new Float64Array(endKinds.length) : null,
    // Close codes are 16-bit; slot 0 is "none".
    codes: wanted.endings ? new Float64Array(65_537) : null,
    silent: silent ? silent.groups.map(() => ({ count: 0, quiet: [], neverAnswered: 0 })) : null,
    ladder: ladder ? ladder.groups.map(() => ({ survived: 0, died: 0, seen: false })) : null,
  });

  const { whole, edges } = splitWhole(store.blocksIn(from, to), from, to);
  const key = ['endings', wanted.binMs, wanted.endings, wanted.silent, wanted.ladder, Boolean(rtt), store.paths.values.length, mask.join(''), probes.map((p) => `${p.id}:${p.name}`).join(',')].join('|');
  const kept = store.memo.get(key, whole, () => {
    const parts = fresh();
    const marks = rttNames ? new RangeMarks(whole, rttNames.groups.length) : null;
    addEndings(parts, whole, from, to, grouping, marks);
    return { parts, marks };
  });
  const parts = copyParts(kept.parts);
  let edgeMarks: MinuteMarks | null = null;
  if (rtt && rttNames) {
    const keyOfName = Int32Array.from(rttNames.groups, (g) => rtt.keyOf(g.target, g.proxy));
    kept.marks?.addTo(rtt, keyOfName);
    edgeMarks = {
      mark: (g, endedAt) => {
        if (keyOfName[g]! >= 0) rtt.mark(keyOfName[g]!, endedAt);
      },
    };
  }
  addEndings(parts, edges, from, to, grouping, edgeMarks);

  const out: EndingsScan = {};
  if (parts.age) {
    out.age = parts.age.histogram();
    out.idle = parts.idle!.histogram();
  }
  if (parts.kinds) {
    const { kinds, codes } = parts;
    const closeCodes: Endings['closeCodes'] = [];
    for (let c = 0; c < codes!.length; c++) if (codes![c]! > 0) closeCodes.push({ closeCode: c === none + 1 ? null : c - 1, count: codes![c]! });
    out.endings = { endKinds: endKinds.map((endKind, k) => ({ endKind, count: kinds[k]! })).filter((e) => e.count > 0), closeCodes };
  }
  if (silent) {
    out.silent = silent.groups.flatMap((g, i) => {
      const { count, quiet, neverAnswered } = parts.silent![i]!;
      return count > 0 ? [{ ...g, count, medianQuietMs: median(quiet) as number, neverAnswered }] : [];
    });
  }
  if (ladder) {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    out.ladder = ladder.groups
      .flatMap((g, i) => {
        const { survived, died, seen } = parts.ladder![i]!;
        return seen ? [{ ...g, survived, died }] : [];
      })
      .sort((a, b) => cmp(a.probe, b.probe) || cmp(a.target, b.target) || cmp(a.proxy, b.proxy) || a.gapMs - b.gapMs);
  }
  return out;
}

/** Adds the endings of `blocks` that lie in [from, to) and pass the mask to `parts`. */
function addEndings(parts: Parts, blocks: readonly EndingBlock[], from: number, to: number, { mask, silentOf, ladderOf, rttOf }: Grouping, marks: MinuteMarks | null): void {
  const { age, idle, kinds, codes, silent, ladder } = parts;
  for (const b of blocks) {
    const { path, endKind, endedAt, age: ages, idle: idles } = b;
    const whole = b.wholeIn(from, to);
    for (let i = 0; i < b.length; i++) {
      const p = path[i]!;
      if (mask[p] !== 1) continue;
      if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
      const kind = endKind[i]!;
      if (ladder) {
        const g = ladderOf![p]!;
        if (g >= 0) {
          const r = ladder[g]!;
          r.seen = true;
          // An endpoint's own close (a paused target's 1001 and 1013) is no death at the rung's gap.
          if (kind !== probeClosed && !(kind === closeFrame && isApplicationCode(b.closeCode[i]!))) r.died++;
          else if (b.ladderSurvived[i] === 1) r.survived++;
        }
      }
      if (kind === probeClosed) continue;
      // A drop from here on.
      if (age) {
        age.add(ages[i]!);
        idle!.add(idles[i]!);
      }
      if (kinds) {
        kinds[kind]! += 1;
        codes![b.closeCode[i]! + 1]! += 1;
      }
      if (silent && kind === pongTimeout) {
        const g = silent[silentOf![p]!]!;
        g.count++;
        // No age: nothing came after the 101 (lib/analysis/drop-values.ts).
        if (ages[i] !== ages[i]) g.neverAnswered++;
        const q = b.sinceLastRecv[i]!;
        if (q === q) g.quiet.push(q);
      }
      if (marks) {
        const g = rttOf![p]!;
        if (g >= 0) marks.mark(g, endedAt[i]!);
      }
    }
  }
}

function copyParts(p: Parts): Parts {
  return {
    age: p.age?.copy() ?? null,
    idle: p.idle?.copy() ?? null,
    kinds: p.kinds?.slice() ?? null,
    codes: p.codes?.slice() ?? null,
    silent: p.silent?.map((g) => ({ count: g.count, quiet: g.quiet.slice(), neverAnswered: g.neverAnswered })) ?? null,
    ladder: p.ladder?.map((g) => ({ ...g })) ?? null,
  };
}

/**
 * The drops' minutes over a run of whole hours, per target × proxy, as RttCoverage marks
 * them (2 on a minute's first instant, else 1): kept in the memo in absolute minutes, so
 * that any later range over the same hours adds them to its own coverage.
 */
class RangeMarks implements MinuteMarks {
  private readonly first: number;
  private readonly length: number;
  private readonly marks: (Uint8Array | null)[];
  private readonly drops: Float64Array;

  constructor(blocks: readonly EndingBlock[], names: number) {
    this.first = blocks.length ? blocks[0]!.hour * 60 : 0;
    this.length = blocks.length ? (blocks.at(-1)!.hour + 1) * 60 - this.first : 0;
    this.marks = new Array<Uint8Array | null>(names).fill(null);
    this.drops = new Float64Array(names);
  }

  mark(g: number, endedAt: number): void {
    const minutes = (this.marks[g] ??= new Uint8Array(this.length));
    this.drops[g]! += 1;
    const minute = Math.floor(endedAt / MINUTE_MS);
    const j = minute - this.first;
    minutes[j] = endedAt === minute * MINUTE_MS ? 2 : Math.max(minutes[j]!, 1);
  }

  /** Adds these marks to `coverage`, name g under its key keyOfName[g] (-1: no RTT minute there). */
  addTo(coverage: RttCoverage, keyOfName: Int32Array): void {
    this.marks.forEach((minutes, g) => {
      if (minutes && keyOfName[g]! >= 0) coverage.addMarks(keyOfName[g]!, this.first, minutes, this.drops[g]!);
    });
  }
}
