/**
 * The endings aggregate's packed form (db/schema.ts `ending_packs`): one row per (hour,
 * probe) holding every path of that probe's endings in the hour and, per path, its filled
 * 100 ms bins as consecutive cells of four big-endian int32 (PostgreSQL's `int4send`):
 *
 *   bin, sessions, drops, idleDrops
 *
 * `bin` is `floor(value / BIN_MS)`; `sessions` and `drops` count the path's endings and
 * drops by age at that bin, `idleDrops` its drops by idle time at that bin (three counts of
 * two values at one index, as the analysis histograms read them). The cell with bin
 * NULL_BIN counts the null values (a silent death with nothing received after the 101 has
 * neither age nor idle time). A path's cells are ordered by bin, the null cell first.
 *
 * Why packed: a row per (hour, path, bin) held about one session per row on a fleet whose
 * background drops spread over thousands of bins (800k rows for 978k endings, a week at
 * 1M sessions on 1,728 path × probe pairs), and summing those rows cost ~0.9 s of
 * PostgreSQL per read. Packed, a week is 168 × probes rows whose bytes are decoded and
 * added here, in this pure module, at a few ns per cell.
 */

/**
 * The bin of a null value (no age, no idle time). Not -1: idle times can be negative (the
 * probe's last send stamped after the end it reports, within its clock's resolution).
 */
export const NULL_BIN = -2_147_483_648;
/** The range a stored bin is clamped to (an age of 6.8 years; NULL_BIN excluded). */
export const MAX_BIN = 2_147_483_647;
export const MIN_BIN = -2_147_483_647;
/** int32 per cell: bin, sessions, drops, idleDrops. */
export const CELL_INTS = 4;

/** A path of a pack, as sealed: its columns, its drops' longest age and how many cells it has. */
export interface PackPath {
  target: string;
  proxy: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
  /** The longest age of the path's drops in the hour; null when none has one. */
  maxAgeMs: number | null;
  cells: number;
}

/** One (hour, probe) row, decoded: its paths and their cells in order. */
export interface EndingPack {
  probeId: number;
  paths: readonly PackPath[];
  /** CELL_INTS int32 per cell, the paths' cells one after another. */
  cells: Int32Array;
}

/** The sealed row as the database sends it: `paths` as stored (jsonb), `cells` as base64. */
export interface StoredPack {
  probeId: number;
  paths: unknown;
  cellsBase64: string;
}

/** The jsonb `paths` entry: [target, proxy, profile, profileKind, gapMs, maxAgeMs, cells]. */
type StoredPath = [string, string, string, string | null, number | string | null, number | string | null, number | string];

function toNumberOrNull(v: number | string | null): number | null {
  return v === null ? null : Number(v);
}

/**
 * Decode a stored pack.
 * @throws when its bytes and its paths disagree (a pack is written in one statement, so this is corruption).
 */
export function decodePack(stored: StoredPack): EndingPack {
  const bytes = Buffer.from(stored.cellsBase64, 'base64');
  if (bytes.length % (4 * CELL_INTS) !== 0) throw new RangeError(`ending pack of probe ${stored.probeId}: ${bytes.length} bytes is not a whole number of cells`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cells = new Int32Array(bytes.length / 4);
  for (let i = 0; i < cells.length; i++) cells[i] = view.getInt32(i * 4, false);
  const raw = (typeof stored.paths === 'string' ? JSON.parse(stored.paths) : stored.paths) as StoredPath[];
  const paths = raw.map(([target, proxy, profile, profileKind, gapMs, maxAgeMs, n]) => ({ target, proxy, profile, profileKind, gapMs: toNumberOrNull(gapMs), maxAgeMs: toNumberOrNull(maxAgeMs), cells: Number(n) }));
  const total = paths.reduce((n, p) => n + p.cells, 0);
  if (total * CELL_INTS !== cells.length) throw new RangeError(`ending pack of probe ${stored.probeId}: paths count ${total} cells, bytes hold ${cells.length / CELL_INTS}`);
  return { probeId: stored.probeId, paths, cells };
}

/** The scope's path filters that the packs answer in memory (probe and label are chosen by row). */
export interface PackPathFilter {
  target?: string;
  proxy?: string;
  profile?: string;
}

function admits(filter: PackPathFilter, p: PackPath): boolean {
  return (filter.target === undefined || p.target === filter.target) && (filter.proxy === undefined || p.proxy === filter.proxy) && (filter.profile === undefined || p.profile === filter.profile);
}

/** Each admitted path of each pack with the offset of its first cell (in int32). */
function* admitted(packs: readonly EndingPack[], filter: PackPathFilter): Generator<{ pack: EndingPack; path: PackPath; start: number; end: number }> {
  for (const pack of packs) {
    let start = 0;
    for (const path of pack.paths) {
      const end = start + path.cells * CELL_INTS;
      if (admits(filter, path)) yield { pack, path, start, end };
      start = end;
    }
  }
}

/** Filled bins in ascending order. */
export type BinCounts = { bin: number; count: number }[];

/** The drops of the packs by age bin and idle bin, the unaged ones, and the longest age. */
export interface PackedDropBins {
  age: BinCounts;
  idle: BinCounts;
  unaged: number;
  maxAgeMs: number | null;
}

/** Bins below this are added in a dense array (4 bytes each: 8 MiB, 58 hours of 100 ms); the rest in a map. */
const DENSE_BINS = 1 << 21;

/** Adds counts by bin: densely where bins are small (almost always), sparsely beyond. */
class BinSums {
  private dense = new Float64Array(0);
  private sparse = new Map<number, number>();
  private high = -1;

  add(bin: number, n: number): void {
    if (n === 0) return;
    if (bin >= 0 && bin < DENSE_BINS) {
      if (bin >= this.dense.length) {
        const grown = new Float64Array(Math.min(DENSE_BINS, Math.max(bin + 1, this.dense.length * 2, 1024)));
        grown.set(this.dense);
        this.dense = grown;
      }
      this.dense[bin] = this.dense[bin]! + n;
      if (bin > this.high) this.high = bin;
    } else this.sparse.set(bin, (this.sparse.get(bin) ?? 0) + n);
  }

  /** In ascending order: the negative bins (sparse), the dense ones, the far ones (sparse). */
  list(): BinCounts {
    const sparse = [...this.sparse].sort((a, b) => a[0] - b[0]).map(([bin, count]) => ({ bin, count }));
    const out: BinCounts = sparse.filter((c) => c.bin < 0);
    for (let b = 0; b <= this.high; b++) if (this.dense[b]! !== 0) out.push({ bin: b, count: this.dense[b]! });
    return out.concat(sparse.filter((c) => c.bin >= 0));
  }
}

/**
 * The drops of the admitted paths, binned as the analysis histograms bin them: by age
 * (`drops`), by idle time (`idleDrops`), the drops without an age counted apart.
 */
export function packDropBins(packs: readonly EndingPack[], filter: PackPathFilter): PackedDropBins {
  const age = new BinSums();
  const idle = new BinSums();
  let unaged = 0;
  let maxAgeMs: number | null = null;
  for (const { pack, path, start, end } of admitted(packs, filter)) {
    const c = pack.cells;
    for (let i = start; i < end; i += CELL_INTS) {
      const bin = c[i]!;
      if (bin === NULL_BIN) {
        unaged += c[i + 2]!;
        continue;
      }
      age.add(bin, c[i + 2]!);
      idle.add(bin, c[i + 3]!);
    }
    if (path.maxAgeMs !== null && (maxAgeMs === null || path.maxAgeMs > maxAgeMs)) maxAgeMs = path.maxAgeMs;
  }
  return { age: age.list(), idle: idle.list(), unaged, maxAgeMs };
}

/** A window of the analysis in bins: [lo, hi), by age or by idle time. */
export interface BinWindow {
  dimension: 'age' | 'idle';
  lo: number;
  hi: number;
}

/** A path's exposure counts over the packs, per window (as db/queries/analysis.ts sums them). */
export interface PackExposure {
  probeId: number;
  target: string;
  proxy: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
  sessions: number;
  drops: number;
  /** Per window: sessions whose age bin is >= lo; >= hi; drops whose bin (of the window's dimension) is in [lo, hi). */
  reached: number[];
  outlived: number[];
  hits: number[];
}

/**
 * Per path (probe and columns) over the admitted paths of every pack: its sessions and
 * drops, and for each window how many of its sessions reached it (age bin >= lo), outlived
 * it (>= hi) and dropped in it. Null bins count in the totals only, as a NULL compares in SQL.
 */
export function packExposures(packs: readonly EndingPack[], filter: PackPathFilter, windows: readonly BinWindow[]): PackExposure[] {
  const byPath = new Map<string, PackExposure>();
  for (const { pack, path, start, end } of admitted(packs, filter)) {
    const key = JSON.stringify([pack.probeId, path.target, path.proxy, path.profile, path.profileKind, path.gapMs]);
    let e = byPath.get(key);
    if (!e) {
      e = {
        probeId: pack.probeId,
        target: path.target,
        proxy: path.proxy,
        profile: path.profile,
        profileKind: path.profileKind,
        gapMs: path.gapMs,
        sessions: 0,
        drops: 0,
        reached: windows.map(() => 0),
        outlived: windows.map(() => 0),
        hits: windows.map(() => 0),
      };
      byPath.set(key, e);
    }
    const c = pack.cells;
    for (let i = start; i < end; i += CELL_INTS) {
      const bin = c[i]!;
      const sessions = c[i + 1]!;
      e.sessions += sessions;
      e.drops += c[i + 2]!;
      if (bin === NULL_BIN) continue;
      for (let w = 0; w < windows.length; w++) {
        const win = windows[w]!;
        if (bin >= win.lo) e.reached[w]! += sessions;
        if (bin >= win.hi) e.outlived[w]! += sessions;
        if (bin >= win.lo && bin < win.hi) e.hits[w]! += win.dimension === 'age' ? c[i + 2]! : c[i + 3]!;
      }
    }
  }
  return [...byPath.values()];
}
