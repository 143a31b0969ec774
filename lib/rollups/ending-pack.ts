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
 * The row's `path_list` names its paths in the order of their cells, 16 bytes each: the
 * path's id in `ending_pack_paths` (its columns, stored once), the longest age of its
 * drops in the hour and its cell count.
 *
 * Why packed: a row per (hour, path, bin) held about one session per row on a fleet whose
 * background drops spread over thousands of bins (800k rows for 978k endings, a week at
 * 1M sessions on 1,728 path × probe pairs), and summing those rows cost ~0.9 s of
 * PostgreSQL per read. Packed, a week is 168 × probes rows whose bytes are decoded and
 * added here, in this pure module, at a few ns per cell: the exposures, member horizons and
 * window hours here, the drops by bin in lib/rollups/pack-drop-bins.ts.
 */

import type { PackEnding } from './pack-endings';

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
/** Whether this machine stores an int32 low byte first (every platform Node runs on here). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * A path of the packs (target × proxy × profile and its kind and gap), stored once
 * (db/schema.ts `ending_pack_paths`) and shared by every pack of a read that holds it.
 */
export interface PackPath {
  id: number;
  target: string;
  proxy: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
}

/** The paths a read's packs refer to, by id. */
export type PackPaths = ReadonlyMap<number, PackPath>;

/** One (hour, probe) row, decoded: its paths and their cells in order. */
export interface EndingPack {
  /** Start of its hour, ms since the epoch. */
  bucket: number;
  probeId: number;
  /** The pack's paths in the order of their cells. */
  paths: readonly PackPath[];
  /** Per path (same index): the longest age of its drops in the hour, NaN when none has one. */
  maxAgeMs: Float64Array;
  /** CELL_INTS int32 per cell, the paths' cells one after another. */
  cells: Int32Array;
  /** Per path (same index): the int32 offsets of its cells in `cells`, and one past the last. */
  offsets: Int32Array;
  /** The hour's drops by path, end kind and close code, when the read asked for them (lib/rollups/pack-endings.ts). */
  endings?: readonly PackEnding[];
}

/** A pack's `path_list`, decoded: per path its id, longest age (NaN for none) and cell count. */
export interface PathList {
  ids: Int32Array;
  maxAgeMs: Float64Array;
  cellCounts: Int32Array;
}

/** Bytes per path in `path_list`: id int4, longest age float8, cell count int4. */
export const PATH_BYTES = 16;

/** Decode a pack's `path_list` as the database sends it (base64 of big-endian bytes). */
export function readPathList(base64: string): PathList {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length % PATH_BYTES !== 0) throw new RangeError(`ending pack path list: ${bytes.length} bytes is not a whole number of paths`);
  const n = bytes.length / PATH_BYTES;
  const list = { ids: new Int32Array(n), maxAgeMs: new Float64Array(n), cellCounts: new Int32Array(n) };
  for (let i = 0, at = 0; i < n; i++, at += PATH_BYTES) {
    list.ids[i] = bytes.readInt32BE(at);
    list.maxAgeMs[i] = bytes.readDoubleBE(at + 4);
    list.cellCounts[i] = bytes.readInt32BE(at + 12);
  }
  return list;
}

/** The sealed row as the database sends it: its path list decoded (readPathList), `cells` as base64. */
export interface StoredPack {
  bucket: number;
  probeId: number;
  pathList: PathList;
  cellsBase64: string;
}

/**
 * Decode a stored pack, its paths looked up in `paths`.
 * @throws when its bytes and its paths disagree, or it names a path `paths` lacks (a pack
 *   and its paths are written in one transaction, so either is corruption or a bad read).
 */
export function decodePack(stored: StoredPack, paths: PackPaths): EndingPack {
  // Decoded straight into an array of its own (aligned, not a view of Buffer's pool; no
  // intermediate Buffer to copy from: a week at 1M sessions is 12.8 MB of cells), then
  // turned from network order to the host's in one native pass instead of a DataView read
  // per int. The room is what the text's length allows; PostgreSQL's base64 has a line
  // break every 76 characters, which decoding skips, so fewer bytes may be written.
  const text = stored.cellsBase64;
  const room = new ArrayBuffer(Math.ceil(Buffer.byteLength(text, 'base64') / 4) * 4);
  const written = Buffer.from(room).write(text, 'base64');
  if (written % (4 * CELL_INTS) !== 0) throw new RangeError(`ending pack of probe ${stored.probeId}: ${written} bytes is not a whole number of cells`);
  const cells = new Int32Array(room, 0, written / 4);
  if (LITTLE_ENDIAN) Buffer.from(room, 0, written).swap32();
  const { ids, maxAgeMs, cellCounts } = stored.pathList;
  const offsets = new Int32Array(ids.length + 1);
  const shared = new Array<PackPath>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const path = paths.get(ids[i]!);
    if (!path) throw new RangeError(`ending pack of probe ${stored.probeId}: path ${ids[i]} is not in ending_pack_paths`);
    shared[i] = path;
    offsets[i + 1] = offsets[i]! + cellCounts[i]! * CELL_INTS;
  }
  if (offsets[ids.length] !== cells.length) throw new RangeError(`ending pack of probe ${stored.probeId}: paths count ${offsets[ids.length]! / CELL_INTS} cells, bytes hold ${cells.length / CELL_INTS}`);
  return { bucket: stored.bucket, probeId: stored.probeId, paths: shared, maxAgeMs, cells, offsets };
}

/** The scope's path filters that the packs answer in memory (probe and label are chosen by row). */
export interface PackPathFilter {
  target?: string;
  proxy?: string;
  profile?: string;
}

/** Whether a path passes the scope's path filters. */
export function admits(filter: PackPathFilter, p: PackPath): boolean {
  return (filter.target === undefined || p.target === filter.target) && (filter.proxy === undefined || p.proxy === filter.proxy) && (filter.profile === undefined || p.profile === filter.profile);
}

/**
 * Calls `each(pack, p, start, end)` for every admitted path of every pack: `p` its index in
 * the pack, `start` and `end` the int32 offsets of its cells. A plain loop, not a
 * generator: the readers run it over a week's cells.
 */
export function forAdmitted(packs: readonly EndingPack[], filter: PackPathFilter, each: (pack: EndingPack, p: number, start: number, end: number) => void): void {
  const all = filter.target === undefined && filter.proxy === undefined && filter.profile === undefined;
  for (const pack of packs) {
    const { paths, offsets } = pack;
    for (let p = 0; p < paths.length; p++) {
      if (all || admits(filter, paths[p]!)) each(pack, p, offsets[p]!, offsets[p + 1]!);
    }
  }
}
