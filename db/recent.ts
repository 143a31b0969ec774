/**
 * The in-memory recent store (lib/recent) and the tables it mirrors: loading it at start,
 * and the columns ingest returns from its upserts so that each committed batch keeps it
 * exact (db/queries/ingest.ts).
 */
import { and, asc, gte, isNotNull, isNull, lt, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { rowsOf } from './queries/scope';
import type { EndKind } from '../lib/contracts/ingest';
import type { ProbeRef } from '../lib/recent/scope';
import type { RecentSessionRow } from '../lib/recent/sessions';
import type { RttMinuteRow } from '../lib/recent/rtt';
import { RecentStore } from '../lib/recent/store';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from './client';
import { canarySessions as s, probes, rttMinutes as rm } from './schema';

/**
 * An instant as ms since the epoch, keeping PostgreSQL's microseconds as the fraction: a
 * Date would round them away, and the in-memory answers must cut ranges where SQL does.
 */
const ms = (column: AnyPgColumn) => sql<number | null>`(extract(epoch from ${column}) * 1000)::float8`.mapWith((v) => (v === null ? null : Number(v)));

/**
 * What the store keeps of a session row beyond the columns ingest's RETURNING reads for the
 * rollups anyway (id, path, outcome, endedAt, endKind, closeCode).
 */
export const recentExtraColumns = {
  proxyKind: s.proxyKind,
  profileKind: s.profileKind,
  gapMs: s.gapMs,
  openedAt: s.openedAt,
  durationMs: s.durationMs,
  sinceLastRecvMs: s.sinceLastRecvMs,
  sinceLastSentMs: s.sinceLastSentMs,
  ladderSurvived: sql<boolean>`coalesce(${s.closeReason} like 'ladder:%', false)`.mapWith(Boolean),
  egressAddress: s.egressAddress,
};

/** What the store keeps of a session row, as the loader reads it. */
export const recentSessionColumns = {
  id: s.id,
  probeId: s.probeId,
  targetName: s.targetName,
  proxyName: s.proxyName,
  proxyKind: s.proxyKind,
  profile: s.profile,
  profileKind: s.profileKind,
  gapMs: s.gapMs,
  outcome: s.outcome,
  httpStatus: s.httpStatus,
  attemptedAt: ms(s.attemptedAt),
  openedAt: ms(s.openedAt),
  endedAt: ms(s.endedAt),
  durationMs: s.durationMs,
  sinceLastRecvMs: s.sinceLastRecvMs,
  sinceLastSentMs: s.sinceLastSentMs,
  endKind: s.endKind,
  closeCode: s.closeCode,
  ladderSurvived: sql<boolean>`coalesce(${s.closeReason} like 'ladder:%', false)`.mapWith(Boolean),
  egressAddress: s.egressAddress,
};

export type RecentSessionResult = { [K in keyof typeof recentSessionColumns]: unknown };

/** A row read with recentSessionColumns, as the store takes it. */
export function recentSessionRow(r: RecentSessionResult): RecentSessionRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string,
    probeId: Number(r.probeId),
    targetName: r.targetName as string,
    proxyName: r.proxyName as string,
    proxyKind: r.proxyKind as string,
    profile: r.profile as string,
    profileKind: (r.profileKind as string | null) ?? null,
    gapMs: num(r.gapMs),
    outcome: (r.outcome as string | null) ?? null,
    httpStatus: num(r.httpStatus),
    attemptedAt: Number(r.attemptedAt),
    openedAt: num(r.openedAt),
    endedAt: num(r.endedAt),
    durationMs: num(r.durationMs),
    sinceLastRecvMs: num(r.sinceLastRecvMs),
    sinceLastSentMs: num(r.sinceLastSentMs),
    endKind: (r.endKind as EndKind | null) ?? null,
    closeCode: num(r.closeCode),
    ladderSurvived: Boolean(r.ladderSurvived),
    egressAddress: (r.egressAddress as string | null) ?? null,
  };
}

export const recentRttColumns = {
  minute: ms(rm.minute),
  probeId: rm.probeId,
  targetName: rm.targetName,
  proxyName: rm.proxyName,
  count: rm.count,
  sumMs: rm.sumMs,
};

type RecentRttResult = { [K in keyof typeof recentRttColumns]: unknown };

export function recentRttRow(r: RecentRttResult): RttMinuteRow {
  return { minute: Number(r.minute), probeId: Number(r.probeId), targetName: r.targetName as string, proxyName: r.proxyName as string, count: Number(r.count), sumMs: Number(r.sumMs) };
}

/** Default retention of the store: every preset of the range picker (30 days) and the 5 minutes before it. */
export const DEFAULT_RECENT_RETAIN_MS = 31 * 24 * 3_600_000;

const HOUR_MS = 3_600_000;
/** Hours read per statement while loading: bounded result sets, each by an index range. */
const LOAD_HOURS = 6;

/**
 * A store holding the endings and RTT minutes of the last `retainMs` before `now`, and the
 * live canaries, read from the database. The caller must not ingest while this runs (the
 * server loads it before it listens).
 */
export async function loadRecent(db: Executor, options: { now: Date; retainMs?: number }): Promise<RecentStore> {
  const store = new RecentStore(options.retainMs ?? DEFAULT_RECENT_RETAIN_MS, options.now.getTime());
  const horizon = new Date(store.sessions.horizon);
  const end = Math.floor(options.now.getTime() / HOUR_MS) * HOUR_MS;
  for (let from = horizon.getTime(); from <= end; from += LOAD_HOURS * HOUR_MS) {
    // The last slice is open-ended: a probe whose clock runs ahead reports ends "in the future".
    const last = from + LOAD_HOURS * HOUR_MS > end;
    const until = last ? [] : [lt(s.endedAt, new Date(from + LOAD_HOURS * HOUR_MS))];
    for (const r of await sessionRows(db, and(gte(s.endedAt, new Date(from)), ...until, isNotNull(s.endKind))!)) store.sessions.upsert(recentSessionRow(r));
    const rtt = rowsOf<RecentRttResult>(
      await db.execute(sql`select ${selectList(recentRttColumns)} from ${rm} where ${and(gte(rm.minute, new Date(from)), ...(last ? [] : [lt(rm.minute, new Date(from + LOAD_HOURS * HOUR_MS))]))}`),
    );
    for (const r of rtt) store.rtt.set(recentRttRow(r));
  }
  for (const r of await sessionRows(db, and(eq(s.outcome, 'opened'), isNull(s.endedAt))!)) store.sessions.upsert(recentSessionRow(r));
  // The rest, neither ended nor live (failed attempts, mostly), for the paths matrix: the
  // partial index of failed attempts, plus the rare row that so far has only its attempt.
  const others = and(gte(s.attemptedAt, horizon), sql`(${s.endKind} is null or ${s.endedAt} is null)`, sql`(${s.outcome} is distinct from 'opened' or ${s.endedAt} is not null)`)!;
  for (const r of await sessionRows(db, others)) store.sessions.upsert(recentSessionRow(r));
  return store;
}

/**
 * The store's columns of the sessions `where` selects, as the driver parses them: read
 * without drizzle's row mapping, which cost a quarter of the load (a million sessions,
 * ~6 s of ~28 s); recentSessionRow converts.
 */
async function sessionRows(db: Executor, where: SQL): Promise<RecentSessionResult[]> {
  return rowsOf<RecentSessionResult>(await db.execute(sql`select ${selectList(recentSessionColumns)} from ${s} where ${where}`));
}

function selectList(columns: Record<string, SQLWrapper>): SQL {
  return sql.join(
    Object.entries(columns).map(([name, column]) => sql`${column} as ${sql.identifier(name)}`),
    sql`, `,
  );
}

/** The probes, for the store's probe and label filters (a handful of rows). */
export async function probeRefs(db: Executor): Promise<ProbeRef[]> {
  return (await db.select({ id: probes.id, name: probes.name, labels: probes.labels }).from(probes).orderBy(asc(probes.id))).map((p) => ({ id: p.id, name: p.name, labels: p.labels ?? {} }));
}
