/**
 * The recent sessions in memory, as typed-array columns: what the dashboard's heaviest
 * reports (drop histograms, the analysis' exposures, the findings) read instead of
 * canary_sessions. A week of a large fleet is about a million sessions, each read by every
 * pass over the range; PostgreSQL takes ~2 µs per drop and pass (bench:dashboard: 1.3 s for
 * a week's histograms), a loop over Float64Arrays takes a few nanoseconds. No rollup in the
 * database can stand in: drops spread over many paths and durations at 100 ms resolution
 * leave about one rollup row per drop.
 *
 * The database stays the truth: the server loads this from it at start (db/recent.ts) and
 * ingest applies each committed batch's rows, so it holds exactly what the tables hold for
 * the endings at or after `horizon` and for the live canaries. Only the server process that
 * ingests may use it: another process writing the same database is not seen.
 *
 * Endings live in blocks by the hour they ended in, so a range reads only its hours and
 * checks instants only in the two blocks at its edges. A session that changes (an end
 * arriving for a live canary, an open event after its end after a replay) is removed from
 * where it was and added where it now belongs.
 */
import { dropAge, dropIdle } from '../analysis/drop-values';
import { endKinds, outcomes, type EndKind } from '../contracts/ingest';
import { WholeRangeMemo } from './whole-range';

export const HOUR_MS = 3_600_000;

/** A session row as the store takes it: instants in ms since the epoch (fractions keep PostgreSQL's µs). */
export interface RecentSessionRow {
  id: string;
  probeId: number;
  targetName: string;
  proxyName: string;
  proxyKind: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
  outcome: string | null;
  /** The HTTP status of the upgrade's answer (101, or the one that refused it). */
  httpStatus: number | null;
  attemptedAt: number;
  openedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  sinceLastRecvMs: number | null;
  sinceLastSentMs: number | null;
  endKind: EndKind | null;
  closeCode: number | null;
  /** The probe closed a ladder canary on purpose: it survived its rung (close reason `ladder:…`). */
  ladderSurvived: boolean;
  egressAddress: string | null;
}

/** Where a session was before a change, from the row as it stood (ingest reads it under lock). */
export interface PreviousPlace {
  outcome: string | null;
  attemptedAt: number;
  endedAt: number | null;
  endKind: string | null;
}

/** The columns that make a path: what every filter and every per-path count keys on. */
export interface PathInfo {
  probeId: number;
  target: string;
  proxy: string;
  proxyKind: string;
  profile: string;
  profileKind: string | null;
  gapMs: number | null;
}

export const NO_CODE = -1;
export const END_KIND_CODE: Readonly<Record<EndKind, number>> = Object.fromEntries(endKinds.map((k, i) => [k, i])) as Record<EndKind, number>;
export const PROBE_CLOSED = END_KIND_CODE.probe_closed;
export const PONG_TIMEOUT = END_KIND_CODE.pong_timeout;
/** Outcomes by index in `outcomes`; NO_CODE for none (a row that has only its end so far). */
export const OUTCOME_CODE: Readonly<Record<string, number>> = Object.fromEntries(outcomes.map((o, i) => [o, i]));
export const OPENED = OUTCOME_CODE.opened!;
const outcomeCode = (outcome: string | null): number => (outcome === null ? NO_CODE : (OUTCOME_CODE[outcome] ?? NO_CODE));

/** The endings of one hour, one typed array per column; NaN (or NO_CODE) where the row has null. */
export class EndingBlock {
  length = 0;
  /** Counts changes: what was computed from the block stays right while this does not move (lib/recent/whole-range.ts). */
  version = 0;
  /**
   * Each row's session id as a 52-bit hash (idHash), not the string: a million id strings
   * on the V8 heap made every full garbage collection ~100 ms longer. An id is only ever
   * looked up within the one hour its session ended in, so two ids colliding there is
   * about as likely as 1 in 2^52 / (rows in the hour)².
   */
  idHash = new Float64Array(16);
  path = new Int32Array(16);
  endedAt = new Float64Array(16);
  openedAt = new Float64Array(16);
  /** The drop histograms' age: for a silent death, up to the last byte received. */
  age = new Float64Array(16);
  /** Silence both ways before the end; NaN for silent deaths. */
  idle = new Float64Array(16);
  sinceLastRecv = new Float64Array(16);
  endKind = new Uint8Array(16);
  closeCode = new Int32Array(16);
  egress = new Int32Array(16);
  ladderSurvived = new Uint8Array(16);
  /**
   * The ids themselves, as bytes in one arena per block (ingest admits only ASCII ids):
   * read back only for the few hundred members a signature shows. A removed row leaves
   * its bytes behind until they are half the arena.
   */
  idStart = new Uint32Array(16);
  idLength = new Uint8Array(16);
  private idBytes = new Uint8Array(16 * 40);
  private idEnd = 0;
  private idGarbage = 0;
  /** What the paths matrix reads: it scopes sessions by attempt, not by end. */
  attemptedAt = new Float64Array(16);
  duration = new Float64Array(16);
  outcome = new Int8Array(16);
  upgraded = new Uint8Array(16);

  constructor(readonly hour: number) {}

  /** Whether every row lies in [from, to): the block's hour does (no instant to check). */
  wholeIn(from: number, to: number): boolean {
    return this.hour * HOUR_MS >= from && (this.hour + 1) * HOUR_MS <= to;
  }

  push(id: string, path: number, egress: number, r: RecentSessionRow): void {
    if (this.length === this.path.length) this.grow();
    const i = this.length++;
    this.version++;
    this.putId(i, id);
    const kind = END_KIND_CODE[r.endKind!];
    const duration = r.durationMs ?? NaN;
    this.idHash[i] = idHash(id);
    this.path[i] = path;
    this.endedAt[i] = r.endedAt!;
    this.openedAt[i] = r.openedAt ?? NaN;
    // As db/queries/drop-values.ts' AGE and IDLE; NaN stands for SQL's null.
    const facts = { endKind: r.endKind!, durationMs: r.durationMs, sinceLastRecvMs: r.sinceLastRecvMs, sinceLastSentMs: r.sinceLastSentMs };
    this.age[i] = dropAge(facts) ?? NaN;
    this.idle[i] = dropIdle(facts) ?? NaN;
    this.sinceLastRecv[i] = r.sinceLastRecvMs ?? NaN;
    this.endKind[i] = kind;
    this.closeCode[i] = r.closeCode ?? NO_CODE;
    this.egress[i] = egress;
    this.ladderSurvived[i] = r.ladderSurvived ? 1 : 0;
    this.attemptedAt[i] = r.attemptedAt;
    this.duration[i] = duration;
    this.outcome[i] = outcomeCode(r.outcome);
    this.upgraded[i] = r.httpStatus === 101 ? 1 : 0;
  }

  /** Remove the row of `id`, if here: the last row takes its place. */
  remove(id: string): boolean {
    const i = rowOf(this.idHash, this.length, idHash(id));
    if (i < 0) return false;
    this.idGarbage += this.idLength[i]!;
    this.version++;
    removeAt(this, i, this.columns());
    if (this.idGarbage > 4096 && this.idGarbage * 2 > this.idEnd) this.compactIds();
    return true;
  }

  /** The id of row `i`. */
  idAt(i: number): string {
    const start = this.idStart[i]!;
    return String.fromCharCode(...this.idBytes.subarray(start, start + this.idLength[i]!));
  }

  private putId(i: number, id: string): void {
    if (this.idEnd + id.length > this.idBytes.length) this.idBytes = grownTo(this.idBytes, Math.max(this.idBytes.length * 2, this.idEnd + id.length));
    for (let c = 0; c < id.length; c++) this.idBytes[this.idEnd + c] = id.charCodeAt(c);
    this.idStart[i] = this.idEnd;
    this.idLength[i] = id.length;
    this.idEnd += id.length;
  }

  private compactIds(): void {
    const bytes = new Uint8Array(Math.max(16 * 40, this.idEnd - this.idGarbage));
    let end = 0;
    for (let i = 0; i < this.length; i++) {
      const start = this.idStart[i]!;
      bytes.set(this.idBytes.subarray(start, start + this.idLength[i]!), end);
      this.idStart[i] = end;
      end += this.idLength[i]!;
    }
    this.idBytes = bytes;
    this.idEnd = end;
    this.idGarbage = 0;
  }

  private columns(): Column[] {
    return [this.idHash, this.path, this.endedAt, this.openedAt, this.age, this.idle, this.sinceLastRecv, this.endKind, this.closeCode, this.egress, this.ladderSurvived, this.attemptedAt, this.duration, this.outcome, this.upgraded, this.idStart, this.idLength];
  }

  private grow(): void {
    const size = this.path.length * 2;
    const grown = <T extends Column>(a: T): T => grownTo(a, size);
    this.idHash = grown(this.idHash);
    this.path = grown(this.path);
    this.endedAt = grown(this.endedAt);
    this.openedAt = grown(this.openedAt);
    this.age = grown(this.age);
    this.idle = grown(this.idle);
    this.sinceLastRecv = grown(this.sinceLastRecv);
    this.endKind = grown(this.endKind);
    this.closeCode = grown(this.closeCode);
    this.egress = grown(this.egress);
    this.ladderSurvived = grown(this.ladderSurvived);
    this.attemptedAt = grown(this.attemptedAt);
    this.duration = grown(this.duration);
    this.outcome = grown(this.outcome);
    this.upgraded = grown(this.upgraded);
    this.idStart = grown(this.idStart);
    this.idLength = grown(this.idLength);
  }
}

/**
 * The sessions of one hour of attempts that neither ended nor are open: refused upgrades,
 * proxy refusals, failed dials (and a row whose attempt is all that arrived so far). Only
 * the paths matrix reads them, for its attempts and upgrade ratio.
 */
export class AttemptBlock {
  length = 0;
  idHash = new Float64Array(16);
  path = new Int32Array(16);
  attemptedAt = new Float64Array(16);
  outcome = new Int8Array(16);
  /** 1 when the answer was HTTP 101 (an upgrade refused after it, say for a bad accept key). */
  upgraded = new Uint8Array(16);

  constructor(readonly hour: number) {}

  push(id: string, path: number, r: RecentSessionRow): void {
    if (this.length === this.path.length) {
      const size = this.length * 2;
      this.idHash = grownTo(this.idHash, size);
      this.path = grownTo(this.path, size);
      this.attemptedAt = grownTo(this.attemptedAt, size);
      this.outcome = grownTo(this.outcome, size);
      this.upgraded = grownTo(this.upgraded, size);
    }
    const i = this.length++;
    this.idHash[i] = idHash(id);
    this.path[i] = path;
    this.attemptedAt[i] = r.attemptedAt;
    this.outcome[i] = outcomeCode(r.outcome);
    this.upgraded[i] = r.httpStatus === 101 ? 1 : 0;
  }

  remove(id: string): boolean {
    const i = rowOf(this.idHash, this.length, idHash(id));
    if (i < 0) return false;
    removeAt(this, i, [this.idHash, this.path, this.attemptedAt, this.outcome, this.upgraded]);
    return true;
  }
}

/** The row whose id hash is `h`, or -1. */
function rowOf(hashes: Float64Array, length: number, h: number): number {
  for (let i = 0; i < length; i++) if (hashes[i] === h) return i;
  return -1;
}

/** Swap-remove row `i` from `block`'s columns: the last row takes its place. */
function removeAt(block: { length: number }, i: number, columns: Column[]): void {
  const last = --block.length;
  if (i !== last) for (const column of columns) column[i] = column[last]!;
}

/** A session id as a 52-bit integer: two 32-bit FNV-1a hashes (different offsets), 32 + 20 bits of them. */
export function idHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return (a >>> 0) * 2 ** 20 + ((b >>> 0) & 0xfffff);
}

export type Column = Int32Array | Uint32Array | Float64Array | Uint8Array | Int8Array;

/** A copy of `a` with room for `size` values (the rest zero). */
export function grownTo<T extends Column>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** A live canary: opened, not ended. */
export interface LiveSession {
  path: number;
  attemptedAt: number;
  openedAt: number;
  egress: number;
  /** The answer was HTTP 101 (as an opened session's always is). */
  upgraded: boolean;
}

/** Interns strings (or keys) as small integers, for typed-array columns. */
export class Dictionary<T> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(private readonly keyOf: (value: T) => string) {}

  intern(value: T): number {
    const key = this.keyOf(value);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(key, i);
    }
    return i;
  }
}

export class RecentSessions {
  readonly paths = new Dictionary<PathInfo>((p) => `${p.probeId}\u0000${p.target}\u0000${p.proxy}\u0000${p.proxyKind}\u0000${p.profile}\u0000${p.profileKind}\u0000${p.gapMs}`);
  readonly egresses = new Dictionary<string>((e) => e);
  readonly blocks = new Map<number, EndingBlock>();
  readonly live = new Map<string, LiveSession>();
  /** The sessions neither ended nor live, by the hour of their attempt. */
  readonly attempts = new Map<number, AttemptBlock>();
  /**
   * How long before its attempt the earliest ending held ended (0 when none did: a probe's
   * clock is monotonic within a session, but a row is only what the probe reported). A scan
   * by attempt time reads the blocks from this much before its range.
   */
  endBeforeAttemptMs = 0;
  /**
   * Per probe × proxy (`${probeId} ${proxy}`): the first egress address seen, and whether
   * another was ever seen. Never unset: a pair that only ever showed one address cannot
   * rotate in any scope, so the egress finding orders only the others' openings in time.
   */
  readonly pairEgress = new Map<string, { first: number; rotates: boolean }>();
  /** Endings before this instant are not held (a whole hour). */
  horizon: number;
  /** What passes over the whole hours of a range computed, for the next pass over the same hours. */
  readonly memo = new WholeRangeMemo();

  constructor(horizon: number) {
    this.horizon = Math.floor(horizon / HOUR_MS) * HOUR_MS;
  }

  /** Put a session where it belongs now, removing it from where `previous` says it was. */
  upsert(row: RecentSessionRow, previous?: PreviousPlace): void {
    if (previous) this.remove(row.id, previous);
    const path = this.paths.intern({ probeId: row.probeId, target: row.targetName, proxy: row.proxyName, proxyKind: row.proxyKind, profile: row.profile, profileKind: row.profileKind, gapMs: row.gapMs });
    const egress = row.egressAddress === null ? NO_CODE : this.egresses.intern(row.egressAddress);
    if (egress !== NO_CODE) {
      const key = `${row.probeId} ${row.proxyName}`;
      const pair = this.pairEgress.get(key);
      if (!pair) this.pairEgress.set(key, { first: egress, rotates: false });
      else if (pair.first !== egress) pair.rotates = true;
    }
    if (row.endKind !== null && row.endedAt !== null) {
      if (row.endedAt < this.horizon) return;
      const hour = Math.floor(row.endedAt / HOUR_MS);
      let block = this.blocks.get(hour);
      if (!block) this.blocks.set(hour, (block = new EndingBlock(hour)));
      block.push(row.id, path, egress, row);
      if (row.attemptedAt - row.endedAt > this.endBeforeAttemptMs) this.endBeforeAttemptMs = row.attemptedAt - row.endedAt;
    } else if (row.outcome === 'opened' && row.endedAt === null && row.openedAt !== null) {
      this.live.set(row.id, { path, attemptedAt: row.attemptedAt, openedAt: row.openedAt, egress, upgraded: row.httpStatus === 101 });
    } else {
      if (row.attemptedAt < this.horizon) return;
      const hour = Math.floor(row.attemptedAt / HOUR_MS);
      let block = this.attempts.get(hour);
      if (!block) this.attempts.set(hour, (block = new AttemptBlock(hour)));
      block.push(row.id, path, row);
    }
  }

  /** Where a row stands: with the endings, the live canaries, or the other attempts (the order upsert places it in). */
  private remove(id: string, previous: PreviousPlace): void {
    if (previous.endKind !== null && previous.endedAt !== null) this.blocks.get(Math.floor(previous.endedAt / HOUR_MS))?.remove(id);
    else if (previous.outcome === 'opened' && previous.endedAt === null) this.live.delete(id);
    else this.attempts.get(Math.floor(previous.attemptedAt / HOUR_MS))?.remove(id);
  }

  /** Forget the endings before `horizon` (rounded down to its hour). */
  forgetBefore(horizon: number): void {
    const hour = Math.floor(horizon / HOUR_MS);
    if (hour * HOUR_MS <= this.horizon) return;
    for (const h of this.blocks.keys()) if (h < hour) this.blocks.delete(h);
    for (const h of this.attempts.keys()) if (h < hour) this.attempts.delete(h);
    this.memo.clear();
    this.horizon = hour * HOUR_MS;
  }

  /**
   * Calls `visit` for each block holding endings in [from, to), with `whole` true when
   * every row of the block lies in the range (no need to check its instants).
   */
  eachBlock(from: number, to: number, visit: (block: EndingBlock, whole: boolean) => void): void {
    if (!(to > from)) return;
    const first = Math.floor(from / HOUR_MS);
    // The hour holding the range's last instant: block h holds [h, h + 1) hours.
    const last = Math.ceil(to / HOUR_MS) - 1;
    if (last - first > this.blocks.size) {
      // A range wider than what is held: walk the blocks instead of the hours.
      for (const block of this.blocks.values()) if (block.hour >= first && block.hour <= last) visit(block, block.wholeIn(from, to));
      return;
    }
    for (let h = first; h <= last; h++) {
      const block = this.blocks.get(h);
      if (block) visit(block, block.wholeIn(from, to));
    }
  }

  /**
   * Calls `visit` for every session attempted in [lo, hi] (both ends in: callers with other
   * edges test `attemptedAt` themselves), wherever it is held: an ending (`ended` is its block
   * and `row` its row there), a live canary, or another attempt (`ended` null). What the paths
   * matrix and the overview count by attempt.
   */
  eachAttempted(lo: number, hi: number, visit: (path: number, attemptedAt: number, outcome: number, upgraded: number, ended: EndingBlock | null, row: number) => void): void {
    const inRange = (at: number) => at >= lo && at <= hi;
    // A session ends after its attempt (less the largest lead ever held of an end before it).
    for (const b of this.blocksIn(lo - this.endBeforeAttemptMs, Infinity)) {
      const { path, attemptedAt, outcome, upgraded } = b;
      for (let i = 0; i < b.length; i++) if (inRange(attemptedAt[i]!)) visit(path[i]!, attemptedAt[i]!, outcome[i]!, upgraded[i]!, b, i);
    }
    for (const live of this.live.values()) if (inRange(live.attemptedAt)) visit(live.path, live.attemptedAt, OPENED, live.upgraded ? 1 : 0, null, -1);
    for (const [hour, b] of this.attempts) {
      if (!(hour * HOUR_MS <= hi && (hour + 1) * HOUR_MS > lo)) continue;
      const { path, attemptedAt, outcome, upgraded } = b;
      for (let i = 0; i < b.length; i++) if (inRange(attemptedAt[i]!)) visit(path[i]!, attemptedAt[i]!, outcome[i]!, upgraded[i]!, null, -1);
    }
  }

  /** The blocks eachBlock would visit, for loops that want no callback per row. */
  blocksIn(from: number, to: number): EndingBlock[] {
    const out: EndingBlock[] = [];
    this.eachBlock(from, to, (b) => out.push(b));
    return out;
  }

  /** Endings held, over every block. */
  get endings(): number {
    let n = 0;
    for (const b of this.blocks.values()) n += b.length;
    return n;
  }
}
