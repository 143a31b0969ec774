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
import type { LadderRung, SilentGroup } from '../analysis/findings';
import type { EndKind } from '../contracts/ingest';
import { endKinds } from '../contracts/ingest';
import { groupPaths, median, nameOf } from './groups';
import type { EgressPass } from './findings';
import type { RttCoverage } from './rtt-before-drops';
import { pathMask, type ProbeRef, type RecentScope } from './scope';
import { HOUR_MS, NO_CODE, PONG_TIMEOUT, PROBE_CLOSED, type RecentSessions } from './sessions';

// Local copies of the store's codes: a bundler may turn an imported binding into a getter
// call per read, in loops over a million rows.
const none = NO_CODE;
const probeClosed = PROBE_CLOSED;
const pongTimeout = PONG_TIMEOUT;

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
  /**
   * The egress finding's pass over the openings (lib/recent/findings.ts), fed each session
   * from its aroundFrom on; the caller then calls its finish().
   */
  egress?: EgressPass;
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

export function scanEndings(store: RecentSessions, scope: RecentScope, probes: readonly ProbeRef[], wanted: EndingsWanted): EndingsScan {
  const paths = store.paths.values;
  const mask = pathMask(paths, scope, probes);
  const from = scope.from.getTime();
  const to = scope.to.getTime();
  const name = nameOf(probes);

  const age = wanted.binMs !== undefined ? new BinCounter(wanted.binMs) : null;
  const idle = wanted.binMs !== undefined ? new BinCounter(wanted.binMs) : null;
  const kinds = wanted.endings ? new Float64Array(endKinds.length) : null;
  // Close codes are 16-bit; slot 0 is "none".
  const codes = wanted.endings ? new Float64Array(65_537) : null;
  const silent = wanted.silent
    ? groupPaths(
        paths,
        (_p, i) => mask[i] === 1,
        (p) => `${name(p.probeId)}\u0000${p.target}\u0000${p.proxy}`,
        (p) => ({ probe: name(p.probeId), target: p.target, proxy: p.proxy, count: 0, quiet: [] as number[] }),
      )
    : null;
  const ladder = wanted.ladder
    ? groupPaths(
        paths,
        (p, i) => mask[i] === 1 && p.profileKind === 'ladder' && p.gapMs !== null,
        (p) => `${name(p.probeId)}\u0000${p.target}\u0000${p.proxy}\u0000${p.gapMs}`,
        (p) => ({ rung: { probe: name(p.probeId), target: p.target, proxy: p.proxy, gapMs: p.gapMs!, survived: 0, died: 0 }, seen: false }),
      )
    : null;
  const rtt = wanted.rtt?.pinged ? wanted.rtt : null;
  const rttKey = rtt ? rtt.keysOfPaths(paths) : null;

  const egress = wanted.egress ?? null;
  // The egress pass reads openings from a little before the scope on, ended at any time since.
  const blocks = egress ? store.blocksIn(Math.min(from, egress.aroundFrom), Infinity) : store.blocksIn(from, to);
  for (const b of blocks) {
    const { path, endKind, endedAt, age: ages, idle: idles } = b;
    const whole = b.wholeIn(from, to);
    const outside = b.hour * HOUR_MS >= to || (b.hour + 1) * HOUR_MS <= from;
    if (egress) {
      const { openedAt, egress: addresses } = b;
      for (let i = 0; i < b.length; i++) egress.visit(path[i]!, openedAt[i]!, addresses[i]!, endKind[i]!, endedAt[i]!);
    }
    if (outside) continue;
    for (let i = 0; i < b.length; i++) {
      const p = path[i]!;
      if (mask[p] !== 1) continue;
      if (!whole && !(endedAt[i]! >= from && endedAt[i]! < to)) continue;
      const kind = endKind[i]!;
      if (ladder) {
        const g = ladder.groupOf[p]!;
        if (g >= 0) {
          const r = ladder.groups[g]!;
          r.seen = true;
          if (kind !== probeClosed) r.rung.died++;
          else if (b.ladderSurvived[i] === 1) r.rung.survived++;
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
        const g = silent.groups[silent.groupOf[p]!]!;
        g.count++;
        const q = b.sinceLastRecv[i]!;
        if (q === q) g.quiet.push(q);
      }
      if (rtt) {
        const k = rttKey![p]!;
        if (k >= 0) rtt.mark(k, endedAt[i]!);
      }
    }
  }

  const out: EndingsScan = {};
  if (age) {
    out.age = age.histogram();
    out.idle = idle!.histogram();
  }
  if (kinds) {
    const closeCodes: Endings['closeCodes'] = [];
    for (let c = 0; c < codes!.length; c++) if (codes![c]! > 0) closeCodes.push({ closeCode: c === none + 1 ? null : c - 1, count: codes![c]! });
    out.endings = { endKinds: endKinds.map((endKind, k) => ({ endKind, count: kinds[k]! })).filter((e) => e.count > 0), closeCodes };
  }
  if (silent) out.silent = silent.groups.filter((g) => g.count > 0).map((g) => ({ probe: g.probe, target: g.target, proxy: g.proxy, count: g.count, medianQuietMs: median(g.quiet) as number }));
  if (ladder) {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    out.ladder = ladder.groups
      .filter((g) => g.seen)
      .map((g) => g.rung)
      .sort((a, b) => cmp(a.probe, b.probe) || cmp(a.target, b.target) || cmp(a.proxy, b.proxy) || a.gapMs - b.gapMs);
  }
  return out;
}

