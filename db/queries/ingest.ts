/**
 * Storing a probe's batch: all of it or none of it, each event id once.
 *
 * Set-based on purpose (one statement per table, not per event): the ingest path must
 * keep up with a fleet replaying hours of spool at once. Rows travel as ONE json
 * parameter unpacked by json_to_recordset, not as a multi-row VALUES list: drizzle spent
 * ~60 ms of CPU building the SQL for 250 session rows (38 columns, ~10k bind parameters),
 * which capped ingest near 3.5k events/s (bench/README.md). Now each statement's text is
 * small and the same for every batch, whatever its size, so no chunking either.
 */
import { and, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type {
  AttemptFailed,
  IngestEvent,
  IngestResult,
  ProbeHeartbeat,
  RttSamples,
  SessionEnded,
  SessionOpened,
  TargetSessionEnded,
} from '../../lib/contracts/ingest';
import { rollupDeltas, type SessionFacts } from '../../lib/rollups/contributions';
import { emptyRttBuckets, rttBucketIndex } from '../../lib/rtt/buckets';
import type { Db, Executor } from '../client';
import { recentExtraColumns, recentRttColumns, recentRttRow, recentSessionRow } from '../recent';
import type { RttMinuteRow } from '../../lib/recent/rtt';
import type { PreviousPlace, RecentSessionRow } from '../../lib/recent/sessions';
import type { RecentStore } from '../../lib/recent/store';
import { attemptRollup, canarySessions, endRollup, ingestedEvents, probes, rttMinutes, targetSessionViews } from '../schema';

type SessionRow = typeof canarySessions.$inferInsert;
type RttRow = typeof rttMinutes.$inferInsert;

export interface StoredBatch extends IngestResult {
  /** The events this request stored (duplicates left out), for the live feed. */
  applied: IngestEvent[];
}

/** The rows a batch left, for the in-memory store once the batch has committed. */
interface BatchRows {
  sessions: { row: RecentSessionRow; previous: PreviousPlace | undefined }[];
  rtt: RttMinuteRow[];
}

/**
 * Store `events` from probe `probeId` in one transaction. Events whose id was stored before
 * (by this or an earlier request) are skipped and counted as duplicates. `recent`, the
 * server's in-memory store, gets the batch's rows after the commit (never a rolled-back one).
 */
export async function storeBatch(db: Db, probeId: number, events: readonly IngestEvent[], now: Date, recent?: RecentStore): Promise<StoredBatch> {
  const rows: BatchRows = { sessions: [], rtt: [] };
  const stored = await db.transaction(async (tx) => {
    // One batch of a probe at a time: the rollups are kept by difference (what a session
    // row counted before this batch, what it counts after), which needs the "before" to
    // stay true until commit, also for rows a concurrent batch of the same probe would
    // insert. A probe's reporter sends one batch at a time anyway; other probes never wait.
    await tx.execute(sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_SPACE}::integer, ${probeId}::integer)`);
    const unique = new Map<string, IngestEvent>();
    for (const e of events) if (!unique.has(e.id)) unique.set(e.id, e);

    const inserted = await tx
      .insert(ingestedEvents)
      .select(
        sql`select ${probeId}::integer, e, ${now.toISOString()}::timestamptz from json_array_elements_text(${JSON.stringify([...unique.keys()])}::json) as e`,
      )
      .onConflictDoNothing()
      .returning({ eventId: ingestedEvents.eventId });
    const fresh = new Set(inserted.map((r) => r.eventId));
    const applied = [...unique.values()].filter((e) => fresh.has(e.id));

    rows.sessions = await upsertSessions(tx, probeId, sessionRows(probeId, applied, now));
    rows.rtt = await upsertRtt(tx, rttRows(probeId, applied));
    await recordHeartbeat(tx, probeId, applied, now);
    await storeTargetViews(
      tx,
      probeId,
      applied.filter((e): e is TargetSessionEnded => e.type === 'target.session_ended'),
    );

    return { accepted: applied.length, duplicates: events.length - applied.length, applied };
  });
  if (recent) {
    recent.members.forget([...rows.sessions.map((r) => r.row.id), ...stored.applied.flatMap((e) => (e.type === 'target.session_ended' ? [e.sessionId] : []))]);
    for (const { row, previous } of rows.sessions) recent.sessions.upsert(row, previous);
    for (const row of rows.rtt) recent.rtt.set(row);
    recent.forgetOld(now.getTime());
  }
  return stored;
}

// ---------------------------------------------------------------- sessions

/**
 * The canary_sessions rows `events` amount to, one per session id (events merged in order).
 * Exported for the ingest bench, whose baseline inserts exactly these rows.
 */
export function sessionRows(probeId: number, events: readonly IngestEvent[], now: Date): SessionRow[] {
  // Several events of one session in one batch must become one row: PostgreSQL refuses
  // to update the same row twice in one INSERT ... ON CONFLICT.
  const rows = new Map<string, SessionRow>();
  for (const e of events) {
    if (e.type !== 'session.opened' && e.type !== 'session.ended' && e.type !== 'attempt.failed') continue;
    let row = rows.get(e.sessionId);
    if (!row) rows.set(e.sessionId, (row = pathColumns(probeId, e, now)));
    applyEvent(row, e);
  }
  return [...rows.values()];
}

function pathColumns(probeId: number, e: SessionOpened | SessionEnded | AttemptFailed, now: Date): SessionRow {
  return {
    id: e.sessionId,
    probeId,
    targetName: e.path.target.name,
    targetUrl: e.path.target.url,
    proxyName: e.path.proxy.name,
    proxyKind: e.path.proxy.kind,
    proxyUrl: e.path.proxy.url ?? null,
    profile: e.path.profile,
    profileKind: e.path.profileKind ?? null,
    gapMs: e.path.gapMs ?? null,
    attemptedAt: new Date(e.attemptedAt),
    updatedAt: now,
  };
}

/**
 * Fill in what `e` knows; a later event overwrites an earlier one's value but never blanks
 * it out with an absent field. Field by field rather than by spreading partial objects:
 * this runs for every event, and the spreads cost more than the rest of the row building.
 */
function applyEvent(row: SessionRow, e: SessionOpened | SessionEnded | AttemptFailed): void {
  switch (e.type) {
    case 'session.opened':
      putTimings(row, e.timings);
      row.outcome = 'opened';
      row.httpStatus = e.httpStatus;
      put(row, 'responseHeaders', e.responseHeaders);
      put(row, 'proxyHeaders', e.proxyHeaders);
      put(row, 'egressAddress', e.egressAddress);
      row.openedAt = new Date(e.openedAt);
      return;
    case 'session.ended':
      row.endedAt = new Date(e.endedAt);
      row.durationMs = e.durationMs;
      put(row, 'sinceLastRecvMs', e.sinceLastRecvMs);
      put(row, 'sinceLastSentMs', e.sinceLastSentMs);
      put(row, 'closeCode', e.closeCode);
      put(row, 'closeReason', e.closeReason);
      row.endKind = e.endKind;
      put(row, 'errorCode', e.errorCode);
      row.bytesIn = e.bytesIn;
      row.bytesOut = e.bytesOut;
      row.messagesIn = e.messagesIn;
      row.messagesOut = e.messagesOut;
      if (e.rtt) {
        row.rttCount = e.rtt.count;
        row.rttMinMs = e.rtt.minMs;
        row.rttMedianMs = e.rtt.medianMs;
        row.rttMaxMs = e.rtt.maxMs;
      }
      put(row, 'egressAddress', e.egressAddress);
      return;
    case 'attempt.failed':
      putTimings(row, e.timings);
      row.outcome = e.outcome;
      put(row, 'httpStatus', e.httpStatus);
      put(row, 'proxyReply', e.proxyReply);
      put(row, 'errorCode', e.errorCode);
      put(row, 'errorMessage', e.errorMessage);
      put(row, 'responseHeaders', e.responseHeaders);
      put(row, 'bodyExcerpt', e.bodyExcerpt);
      row.endedAt = new Date(e.failedAt);
      return;
  }
}

function putTimings(row: SessionRow, t: SessionOpened['timings']): void {
  put(row, 'dnsMs', t.dnsMs);
  put(row, 'tcpMs', t.tcpMs);
  put(row, 'proxyMs', t.proxyMs);
  put(row, 'tlsMs', t.tlsMs);
  put(row, 'upgradeMs', t.upgradeMs);
}

function put<K extends keyof SessionRow>(row: SessionRow, key: K, value: SessionRow[K] | undefined): void {
  if (value !== undefined) row[key] = value;
}

/** Columns that later events fill in; the path and attempt time are fixed by the first. */
const mergedColumns = [
  'dnsMs', 'tcpMs', 'proxyMs', 'tlsMs', 'upgradeMs', 'outcome', 'httpStatus', 'proxyReply', 'errorCode',
  'errorMessage', 'responseHeaders', 'proxyHeaders', 'bodyExcerpt', 'egressAddress', 'openedAt', 'endedAt', 'durationMs', 'sinceLastRecvMs',
  'sinceLastSentMs', 'closeCode', 'closeReason', 'endKind', 'bytesIn', 'bytesOut', 'messagesIn', 'messagesOut',
  'rttCount', 'rttMinMs', 'rttMedianMs', 'rttMaxMs', 'updatedAt',
] as const satisfies readonly (keyof SessionRow)[];

const sessionMergeSet = Object.fromEntries(
  mergedColumns.map((key) => [key, sql`coalesce(excluded.${sql.identifier(snake(key))}, ${canarySessions[key]})`]),
) as Record<(typeof mergedColumns)[number], SQL>;

/** The columns the rollups key on, with the id to match a row's before and after. */
const factColumns = {
  id: canarySessions.id,
  probeId: canarySessions.probeId,
  targetName: canarySessions.targetName,
  proxyName: canarySessions.proxyName,
  profile: canarySessions.profile,
  attemptedAt: canarySessions.attemptedAt,
  outcome: canarySessions.outcome,
  httpStatus: canarySessions.httpStatus,
  errorCode: canarySessions.errorCode,
  proxyReply: canarySessions.proxyReply,
  endedAt: canarySessions.endedAt,
  endKind: canarySessions.endKind,
  closeCode: canarySessions.closeCode,
};

function factsById(rows: readonly (SessionFacts & { id: string })[]): Map<string, SessionFacts> {
  return new Map(rows.map(({ id, ...facts }) => [id, facts]));
}

async function upsertSessions(tx: Executor, probeId: number, rows: SessionRow[]): Promise<BatchRows['sessions']> {
  if (rows.length === 0) return [];
  // Only this probe's rows: another probe's session with the same id is not updated below.
  const before = await tx
    .select(factColumns)
    .from(canarySessions)
    .where(and(eq(canarySessions.probeId, probeId), sql`${canarySessions.id} in (select json_array_elements_text(${JSON.stringify(rows.map((r) => r.id))}::json))`))
    .for('update');
  const after = await tx
    .insert(canarySessions)
    .select(fromJsonRows(canarySessions, rows))
    .onConflictDoUpdate({
      target: canarySessions.id,
      set: sessionMergeSet,
      // A session id belongs to the probe that created it; another probe cannot rewrite it.
      setWhere: eq(canarySessions.probeId, probeId),
    })
    .returning({ ...factColumns, ...recentExtraColumns });
  const beforeById = factsById(before);
  const deltas = rollupDeltas(beforeById, factsById(after));
  if (deltas.attempts.length > 0) {
    await tx
      .insert(attemptRollup)
      .select(fromJsonRows(attemptRollup, deltas.attempts))
      .onConflictDoUpdate({
        target: [attemptRollup.bucket, attemptRollup.probeId, attemptRollup.targetName, attemptRollup.proxyName, attemptRollup.profile, attemptRollup.outcome, attemptRollup.httpStatus, attemptRollup.errorCode, attemptRollup.proxyReply],
        set: { attempts: sql`${attemptRollup.attempts} + excluded.attempts` },
      });
  }
  if (deltas.ends.length > 0) {
    await tx
      .insert(endRollup)
      .select(fromJsonRows(endRollup, deltas.ends))
      .onConflictDoUpdate({
        target: [endRollup.bucket, endRollup.probeId, endRollup.targetName, endRollup.proxyName, endRollup.profile, endRollup.endKind, endRollup.closeCode],
        set: { sessions: sql`${endRollup.sessions} + excluded.sessions` },
      });
  }
  return after.map((r) => {
    const was = beforeById.get(r.id);
    // Ingest writes whole milliseconds, so the Dates lose nothing here.
    const row = recentSessionRow({ ...r, attemptedAt: r.attemptedAt.getTime(), openedAt: r.openedAt?.getTime() ?? null, endedAt: r.endedAt?.getTime() ?? null });
    return { row, previous: was && { outcome: was.outcome, attemptedAt: was.attemptedAt.getTime(), endedAt: was.endedAt?.getTime() ?? null, endKind: was.endKind } };
  });
}

/** First key of pg_advisory_xact_lock(int, int): this module's locks, keyed by probe id. */
const ADVISORY_LOCK_SPACE = 0x64726f70; // 'drop'

// ---------------------------------------------------------------- RTT rollup

function rttRows(probeId: number, events: readonly IngestEvent[]): RttRow[] {
  const rows = new Map<string, RttRow & { buckets: number[] }>();
  for (const e of events as readonly (IngestEvent | RttSamples)[]) {
    if (e.type !== 'rtt.samples') continue;
    for (const s of e.samples) {
      const minute = new Date(Math.floor(Date.parse(s.at) / 60_000) * 60_000);
      const key = `${minute.getTime()}\u0000${e.path.target.name}\u0000${e.path.proxy.name}`;
      let row = rows.get(key);
      if (!row) {
        row = {
          minute,
          probeId,
          targetName: e.path.target.name,
          proxyName: e.path.proxy.name,
          count: 0,
          sumMs: 0,
          minMs: Number.POSITIVE_INFINITY,
          maxMs: 0,
          buckets: emptyRttBuckets(),
        };
        rows.set(key, row);
      }
      row.count += 1;
      row.sumMs += s.rttMs;
      row.minMs = Math.min(row.minMs, s.rttMs);
      row.maxMs = Math.max(row.maxMs, s.rttMs);
      const i = rttBucketIndex(s.rttMs);
      row.buckets[i] = (row.buckets[i] ?? 0) + 1;
    }
  }
  return [...rows.values()];
}

async function upsertRtt(tx: Executor, rows: RttRow[]): Promise<RttMinuteRow[]> {
  if (rows.length === 0) return [];
  const after = await tx
    .insert(rttMinutes)
    .select(fromJsonRows(rttMinutes, rows))
    .onConflictDoUpdate({
      target: [rttMinutes.minute, rttMinutes.probeId, rttMinutes.targetName, rttMinutes.proxyName],
      set: {
        count: sql`${rttMinutes.count} + excluded.count`,
        sumMs: sql`${rttMinutes.sumMs} + excluded.sum_ms`,
        minMs: sql`least(${rttMinutes.minMs}, excluded.min_ms)`,
        maxMs: sql`greatest(${rttMinutes.maxMs}, excluded.max_ms)`,
        buckets: sql`array(select coalesce(a, 0) + coalesce(b, 0) from unnest(${rttMinutes.buckets}, excluded.buckets) with ordinality as u(a, b, n) order by n)`,
      },
    })
    .returning(recentRttColumns);
  return after.map(recentRttRow);
}

// ---------------------------------------------------------------- heartbeat

async function recordHeartbeat(tx: Executor, probeId: number, events: readonly IngestEvent[], now: Date): Promise<void> {
  let latest: ProbeHeartbeat | undefined;
  for (const e of events) if (e.type === 'probe.heartbeat' && (!latest || e.at > latest.at)) latest = e;
  // Any accepted request proves the probe is alive; a heartbeat adds its own state.
  await tx
    .update(probes)
    .set({
      lastSeenAt: sql`greatest(${probes.lastSeenAt}, ${now.toISOString()}::timestamptz)`,
      firstSeenAt: sql`coalesce(${probes.firstSeenAt}, ${now.toISOString()}::timestamptz)`,
      ...(latest && {
        agentVersion: latest.agentVersion,
        spoolDepth: latest.spoolDepth ?? null,
        canariesOpen: latest.canaries?.open ?? null,
        canariesConnecting: latest.canaries?.connecting ?? null,
        canariesBackoff: latest.canaries?.backoff ?? null,
      }),
    })
    .where(eq(probes.id, probeId));
}

// ---------------------------------------------------------------- the target's view

/**
 * Store canary-target views. `reporterId` is null for the target built into the server,
 * which calls this directly. A later report for the same session replaces the earlier.
 */
export async function storeTargetViews(db: Executor, reporterId: number | null, views: readonly Omit<TargetSessionEnded, 'type' | 'id'>[]): Promise<void> {
  const rows = new Map<string, typeof targetSessionViews.$inferInsert>();
  for (const v of views) {
    rows.set(v.sessionId, {
      sessionId: v.sessionId,
      reporterId,
      targetName: v.target,
      peerAddress: v.peerAddress,
      openedAt: new Date(v.openedAt),
      endedAt: new Date(v.endedAt),
      durationMs: v.durationMs,
      closeFrameReceived: v.closeFrameReceived,
      closeCode: v.closeCode ?? null,
      closeReason: v.closeReason ?? null,
      endKind: v.endKind,
      sinceLastRecvMs: v.sinceLastRecvMs,
      sinceLastSentMs: v.sinceLastSentMs,
      messagesIn: v.messagesIn,
      messagesOut: v.messagesOut,
      // Every column is listed in the INSERT ... SELECT, so defaults do not apply.
      receivedAt: new Date(),
    });
  }
  if (rows.size === 0) return;
  await db
    .insert(targetSessionViews)
    .select(fromJsonRows(targetSessionViews, [...rows.values()]))
    .onConflictDoUpdate({
      target: targetSessionViews.sessionId,
      set: Object.fromEntries(
        (['reporterId', 'targetName', 'peerAddress', 'openedAt', 'endedAt', 'durationMs', 'closeFrameReceived', 'closeCode', 'closeReason', 'endKind', 'sinceLastRecvMs', 'sinceLastSentMs', 'messagesIn', 'messagesOut', 'receivedAt'] as const).map((k) => [k, sql.raw(`excluded.${snake(k)}`)]),
      ),
    });
}

// ---------------------------------------------------------------- helpers

/**
 * `select <every insertable column of table, in table order> from json_to_recordset($1)`:
 * the source of an INSERT ... SELECT taking all rows as one json parameter. Record keys
 * are the schema's property names (what `$inferInsert` rows have); a missing key is NULL,
 * as an absent value was in a VALUES list. Types come from the schema, so they cannot drift.
 */
function fromJsonRows(table: PgTable, rows: readonly object[]): SQL {
  let shape = recordsetShapes.get(table);
  if (!shape) {
    // All columns, as drizzle lists them for INSERT ... SELECT (these tables have no generated ones).
    const columns = Object.entries(getTableColumns(table));
    shape = {
      select: sql.join(columns.map(([key]) => sql`r.${sql.identifier(key)}`), sql`, `),
      definition: sql.join(columns.map(([key, c]) => sql`${sql.identifier(key)} ${sql.raw(c.getSQLType())}`), sql`, `),
    };
    recordsetShapes.set(table, shape);
  }
  // Dates serialize as ISO strings through toJSON; PostgreSQL reads them back exactly.
  return sql`select ${shape.select} from json_to_recordset(${rowsJson(rows)}::json) as r(${shape.definition})`;
}
const recordsetShapes = new Map<PgTable, { select: SQL; definition: SQL }>();

/**
 * JSON.stringify, with lone UTF-16 surrogates replaced by U+FFFD. JSON.stringify writes a
 * lone surrogate as a `\udXXX` escape, which PostgreSQL's json parser rejects, failing the
 * whole batch (and the probe would resend it forever); bound as a plain text parameter, the
 * same string used to reach PostgreSQL as UTF-8 with U+FFFD in its place. Only lone
 * surrogates are escaped that way, so a batch without the marker takes the fast path.
 */
function rowsJson(rows: readonly object[]): string {
  const json = JSON.stringify(rows);
  if (!json.includes('\\ud')) return json;
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'string' ? value.replace(LONE_SURROGATE, '\ufffd') : value));
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
