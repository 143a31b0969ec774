/**
 * The one statement that stores a batch (db/queries/ingest.ts says when it runs): data-
 * modifying CTEs that write the idempotency ledger, merge the session rows, keep the
 * rollups by difference, roll RTT samples up, mark the probe seen and store the target's
 * views, set-based, one round trip.
 *
 * Why one statement: each statement costs a round trip, a parse and a plan, and the old
 * ten statements per batch (a select of the rows' "before" among them, whose plan read
 * every row of the probe) cost more than the writes. Why it is still correct: every CTE
 * sees the snapshot taken when the statement starts, after the caller's per-probe lock, so
 * `before` holds what the session rows counted before this batch even though `after`
 * changes them in the same statement; PostgreSQL runs each data-modifying CTE exactly once.
 *
 * The ledger decides what is applied. First the ids are inserted plainly on the assumption
 * that all are new (the normal case): a replayed id fails the statement on the ledger's key
 * and nothing is kept. The caller then sends it again with ON CONFLICT DO NOTHING: it applies
 * the batch only when every one of its ids was new (`fresh.ok`), and otherwise writes just
 * the ledger and answers the ids that were new; the caller then sends this statement again
 * without the ledger for those events only (a replay, rare and mostly all-duplicates).
 *
 * Rows travel as json arrays of positional values (about half the bytes of keyed objects,
 * and jsonb reads an array element by position without hashing keys; json_to_recordset
 * built a hash table per row and cost as much as inserting the rows).
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { PROXY_REPLY_KEY_CHARS, ROLLUP_BUCKET_MS } from '../../lib/rollups/contributions';
import { canarySessions, probes, rttMinutes, targetSessionViews } from '../schema';
import type { ProbeKind } from './probes';
import type { BatchRows } from './ingest-rows';

export interface MergeInput {
  probeId: number;
  now: Date;
  /**
   * The batch's distinct event ids for the ledger; null when the ledger holds them already.
   * `assumeNew`: inserted plainly, so that an id the ledger holds fails the statement on the
   * ledger's key (db/queries/ingest.ts then stores the batch again without it); otherwise
   * ON CONFLICT DO NOTHING leaves such ids out and the statement answers which were new.
   */
  ledger: { ids: readonly string[]; assumeNew: boolean } | null;
  rows: BatchRows;
  /** Who posts: the rules for the target's views differ by kind (lib/ingest/access.ts). */
  reporter: { kind: ProbeKind; name: string };
  /** Session ids of this batch's own session events: a probe's views of them are its own. */
  batchSessionIds: readonly string[];
  /**
   * Sessions whose RTT samples this batch carries without the session's own events: their
   * stored spans are answered for the caller to check the samples against, from `from` to
   * `to` of attempted_at (which prunes the day partitions to look in).
   */
  rttLookup: { ids: readonly string[]; from: string; to: string } | null;
}

export interface MergeResult {
  /** Every ledger id was new, so the whole batch was applied. */
  applied: boolean;
  /** When not applied: the ids the ledger did not hold before (their events still need applying). */
  freshIds: string[];
  /** Session rows of this batch that another probe holds (left alone by the upsert). */
  foreignSessions: string[];
  /** Session ids of this batch's target views that the reporter may not write. */
  viewConflicts: string[];
  /** The stored spans of `rttLookup`'s sessions (this probe's rows). */
  rttSpans: { id: string; attemptedAt: string; endedAt: string | null }[];
}

export function mergeStatement(input: MergeInput): SQL {
  const { probeId, now, rows } = input;
  const parts: SQL[] = [];
  const at = now.toISOString();
  const { ledger } = input;
  if (ledger) {
    const insert = sql`insert into ingested_events (probe_id, event_id, received_at)
      select ${probeId}::integer, e, ${at}::timestamptz from unnest(${textArray(ledger.ids)}::text[]) as e`;
    if (ledger.assumeNew) {
      // Run however the rest reads it: PostgreSQL runs every data-modifying CTE to completion.
      parts.push(sql`ledger as (${insert})`, sql`fresh as (select true as ok)`);
    } else {
      parts.push(sql`ledger as (${insert} on conflict do nothing returning event_id)`);
      parts.push(sql`fresh as (select count(*) = ${ledger.ids.length}::integer as ok from ledger)`);
    }
  } else {
    parts.push(sql`fresh as (select true as ok)`);
  }
  const answer: SQL[] = [sql`(select ok from fresh) as ok`];
  if (ledger && !ledger.assumeNew) answer.push(sql`(select json_agg(event_id) from ledger where not (select ok from fresh)) as fresh_ids`);
  if (rows.sessions.length > 0) {
    parts.push(...sessionParts(probeId, at, rows));
    // The upsert leaves a row of another probe alone (its WHERE), so such a row is missing
    // from `after`: the caller refuses the batch (409) rather than answer "accepted" for
    // events it dropped. Counted first, so the anti-join runs only when one is missing.
    answer.push(sql`case when (select count(*) from after) < (select count(*) from src)
      then (select json_agg(s.id) from src s where not exists (select 1 from after a where a.id = s.id and a.attempted_at = s.attempted_at)) end as foreign_sessions`);
  }
  if (rows.rtt.length > 0) parts.push(rttPart(probeId, rows));
  if (rows.views.length > 0) {
    parts.push(viewConflictsPart(input), sql`views as (${viewsInsert(rows.views, sql`(select ok from fresh)`)})`);
    answer.push(sql`(select json_agg(session_id) from view_conflicts) as view_conflicts`);
  }
  if (input.rttLookup) {
    const { ids, from, to } = input.rttLookup;
    parts.push(sql`rtt_spans as (
      -- A lost session's end is the server's estimate (db/queries/ingest-lost.ts): no bound on its samples.
      select id, attempted_at, case when lost_at is null then ended_at end as ended_at from canary_sessions
      where id = any(${textArray(ids)}::text[]) and attempted_at >= ${from}::timestamptz and attempted_at <= ${to}::timestamptz
        and probe_id = ${probeId}::integer and (select ok from fresh)
    )`);
    answer.push(sql`(select json_agg(json_build_array(id, attempted_at, ended_at)) from rtt_spans) as rtt_spans`);
  }
  parts.push(probePart(probeId, at, rows));
  return sql`with ${sql.join(parts, sql`, `)} select ${sql.join(answer, sql`, `)}`;
}

/** The statement's one answer row, as the driver returns it (postgres.js: rows; PGlite: { rows }). */
export function mergeResult(raw: unknown): MergeResult {
  const [row] = (Array.isArray(raw) ? raw : (raw as { rows: unknown[] }).rows) as {
    ok: boolean;
    fresh_ids?: string[] | null;
    foreign_sessions?: string[] | null;
    view_conflicts?: string[] | null;
    rtt_spans?: [string, string, string | null][] | null;
  }[];
  if (!row) throw new Error('the ingest statement answered no row');
  return {
    applied: row.ok,
    freshIds: row.fresh_ids ?? [],
    foreignSessions: row.foreign_sessions ?? [],
    viewConflicts: row.view_conflicts ?? [],
    rttSpans: (row.rtt_spans ?? []).map(([id, attemptedAt, endedAt]) => ({ id, attemptedAt, endedAt })),
  };
}

// ---------------------------------------------------------------- sessions and rollups

/** Columns that later events fill in; the path and attempt time are fixed by the first. */
const MERGED = [
  'dnsMs', 'tcpMs', 'proxyMs', 'tlsMs', 'upgradeMs', 'outcome', 'httpStatus', 'proxyReply', 'errorCode',
  'errorMessage', 'responseHeaders', 'proxyHeaders', 'bodyExcerpt', 'egressAddress', 'openedAt', 'endedAt', 'durationMs', 'sinceLastRecvMs',
  'sinceLastSentMs', 'closeCode', 'closeReason', 'endKind', 'bytesIn', 'bytesOut', 'messagesIn', 'messagesOut',
  'rttCount', 'rttMinMs', 'rttMedianMs', 'rttMaxMs', 'echo', 'updatedAt',
] as const satisfies readonly (keyof typeof canarySessions.$inferInsert)[];

/** The session columns, with the probe and the batch time bound once instead of per row. */
const sessionShape = positional(canarySessions, ['probeId', 'updatedAt']);

/**
 * What the rollups key on, read from a session row `t`. The bucket is the backfill's
 * `to_timestamp(floor(extract(epoch from t) / 900) * 900)` (migration 0004) written as
 * `date_bin`, which gives the same instant for every timestamp (compared over 300,000
 * random instants from 1900 to 2100 and around the epoch) without numeric arithmetic:
 * a tenth of the CPU per row (session 11, bench/README.md).
 */
const BUCKET_S = ROLLUP_BUCKET_MS / 1000;
const bucketOf = (column: string) => `date_bin('${BUCKET_S} seconds', ${column}, timestamptz '1970-01-01 00:00:00+00')`;
const attemptKey = (t: string) =>
  `${bucketOf(`${t}.attempted_at`)} as bucket, ${t}.probe_id, ${t}.target_name, ${t}.proxy_name, ${t}.profile, ${t}.outcome, coalesce(${t}.http_status, 0) as http_status, ` +
  `case when ${t}.outcome = 'opened' then '' else coalesce(${t}.error_code, '') end as error_code, coalesce(left(${t}.proxy_reply, ${PROXY_REPLY_KEY_CHARS}), '') as proxy_reply`;
const FACTS = 'id, probe_id, target_name, proxy_name, profile, attempted_at, outcome, http_status, error_code, proxy_reply';

/**
 * The rollup changes of the rows from `before` (what they counted) to `after` (what they
 * count now), summed per key: the rollups stay equal to a GROUP BY over the rows however
 * events arrive (lib/rollups/contributions.ts). One row per key, as ON CONFLICT requires.
 */
const ROLLUPS = sql.raw(`attempt_delta as (
    select bucket, probe_id, target_name, proxy_name, profile, outcome, http_status, error_code, proxy_reply, sum(n)::integer as n from (
      select ${attemptKey('b')}, -1 as n from before b where b.outcome is not null
      union all
      select ${attemptKey('a')}, 1 from after a where a.outcome is not null
    ) d group by 1, 2, 3, 4, 5, 6, 7, 8, 9 having sum(n) <> 0
  ), attempts as (
    insert into attempt_rollup (bucket, probe_id, target_name, proxy_name, profile, outcome, http_status, error_code, proxy_reply, attempts)
    select * from attempt_delta
    on conflict (bucket, probe_id, target_name, proxy_name, profile, outcome, http_status, error_code, proxy_reply)
    do update set attempts = attempt_rollup.attempts + excluded.attempts
  )`);


function sessionParts(probeId: number, at: string, rows: BatchRows): SQL[] {
  const bind = { probeId: sql`${probeId}::integer`, updatedAt: sql`${at}::timestamptz` };
  return [
    // Materialized: read by `before` for the ids and by `after` for the values, parsed once.
    sql`src as materialized (
      select ${sessionShape.select(bind)} from jsonb_array_elements(${positionalJson(sessionShape, rows.sessions)}::jsonb) as r
      where (select ok from fresh)
    )`,
    // The rows by primary key alone, then only this probe's (another probe's session with
    // the same id is left alone below): with the probe in the same WHERE, the planner
    // combined the key lookups with every index entry of the probe (2.7 ms at 13,000 rows,
    // growing with the table); the old `in (select ...)` read every row of the probe. The
    // batch's span of attempted_at prunes the day partitions to look in (once the
    // statement starts, from the subqueries' values), and the key is (id, attempted_at).
    sql`found as materialized (
      select ${sql.raw(FACTS)} from canary_sessions
      where id = any(array(select id from src))
        and attempted_at >= (select min(attempted_at) from src) and attempted_at <= (select max(attempted_at) from src)
        and (id, attempted_at) in (select id, attempted_at from src)
    )`,
    sql`before as (select * from found where probe_id = ${probeId}::integer)`,
    sql`after as (
      insert into canary_sessions (${sessionShape.columns}) select * from src
      on conflict (id, attempted_at) do update set ${MERGE_SET}
      where canary_sessions.probe_id = ${probeId}::integer
      returning ${sql.raw(FACTS)}
    )`,
    ROLLUPS,
  ];
}

// A session id belongs to the probe that created it; another probe cannot rewrite it.
// A session the server closed as lost (db/queries/ingest-lost.ts) that the probe reports
// the real end of after all is not lost: its end replaces the estimate, and lost_at goes.
const MERGE_SET = sql.raw(
  [
    ...MERGED.map((k) => `${snake(k)} = coalesce(excluded.${snake(k)}, canary_sessions.${snake(k)})`),
    'lost_at = case when excluded.end_kind is not null then null else canary_sessions.lost_at end',
  ].join(', '),
);


// ---------------------------------------------------------------- RTT, probe, target views

const rttShape = positional(rttMinutes, ['probeId']);
function rttPart(probeId: number, rows: BatchRows): SQL {
  return sql`rtt as (
    insert into rtt_minutes (${rttShape.columns})
    select ${rttShape.select({ probeId: sql`${probeId}::integer` })} from jsonb_array_elements(${positionalJson(rttShape, rows.rtt)}::jsonb) as r
    where (select ok from fresh)
    on conflict (minute, probe_id, target_name, proxy_name) do update set
      count = rtt_minutes.count + excluded.count,
      sum_ms = rtt_minutes.sum_ms + excluded.sum_ms,
      min_ms = least(rtt_minutes.min_ms, excluded.min_ms),
      max_ms = greatest(rtt_minutes.max_ms, excluded.max_ms),
      buckets = array(select coalesce(a, 0) + coalesce(b, 0) from unnest(rtt_minutes.buckets, excluded.buckets) with ordinality as u(a, b, n) order by n)
  )`;
}

/** Any accepted request proves the probe is alive; an applied heartbeat adds its own state. */
function probePart(probeId: number, at: string, rows: BatchRows): SQL {
  const hb = rows.heartbeat;
  const state = hb
    ? sql`, ${sql.join(
        (
          [
            [probes.agentVersion, hb.agentVersion],
            [probes.spoolDepth, hb.spoolDepth ?? null],
            [probes.canariesOpen, hb.canaries?.open ?? null],
            [probes.canariesConnecting, hb.canaries?.connecting ?? null],
            [probes.canariesBackoff, hb.canaries?.backoff ?? null],
          ] as const
        ).map(([column, value]) => {
          const name = sql.identifier(snake(column.name));
          return sql`${name} = case when (select ok from fresh) then ${value}::${sql.raw(column.getSQLType())} else probes.${name} end`;
        }),
        sql`, `,
      )}`
    : sql``;
  return sql`seen as (
    update probes set
      last_seen_at = greatest(probes.last_seen_at, ${at}::timestamptz),
      first_seen_at = coalesce(probes.first_seen_at, ${at}::timestamptz)${state}
    where id = ${probeId}::integer
  )`;
}

/**
 * The batch's target views that its reporter may not write (lib/ingest/access.ts has the
 * rules), read in the statement's snapshot:
 * - a probe: a view of a session another probe holds, or over another reporter's view of a
 *   session the probe does not hold (in the table or in this batch). A view may come before
 *   its session (a replay), so a session nobody holds yet is not refused.
 * - a target: over a view of a session that reached another target (another name).
 * The caller refuses the batch (409) when any is answered. A probe's lookup is by session id
 * alone, in every day partition: such views are rare (the agent sends none).
 */
function viewConflictsPart(input: MergeInput): SQL {
  const ids = textArray([...new Set(input.rows.views.map((v) => v.sessionId))]);
  const probeId = sql`${input.probeId}::integer`;
  if (input.reporter.kind === 'target') {
    return sql`view_conflicts as (
      select t.session_id from target_session_views t
      where t.session_id = any(${ids}::text[]) and t.target_name <> ${input.reporter.name} and (select ok from fresh)
    )`;
  }
  return sql`view_conflicts as (
    select v.id as session_id from unnest(${ids}::text[]) as v(id)
    where (select ok from fresh) and (
      exists (select 1 from canary_sessions c where c.id = v.id and c.probe_id <> ${probeId})
      or (
        v.id <> all(${textArray(input.batchSessionIds)}::text[])
        and exists (select 1 from target_session_views t where t.session_id = v.id and t.reporter_id is distinct from ${probeId})
        and not exists (select 1 from canary_sessions c where c.id = v.id and c.probe_id = ${probeId})
      )
    )
  )`;
}

const viewShape = positional(targetSessionViews, []);
const VIEW_SET = sql.raw(
  Object.keys(getTableColumns(targetSessionViews))
    .filter((k) => k !== 'sessionId')
    .map((k) => `${snake(k)} = excluded.${snake(k)}`)
    .join(', '),
);

/** INSERT of target views (a later report for a session replaces the earlier), when `when` holds. */
export function viewsInsert(rows: BatchRows['views'], when: SQL = sql`true`): SQL {
  return sql`insert into target_session_views (${viewShape.columns})
    select ${viewShape.select({})} from jsonb_array_elements(${positionalJson(viewShape, rows)}::jsonb) as r where ${when}
    on conflict (session_id) do update set ${VIEW_SET}`;
}

// ---------------------------------------------------------------- positional rows

interface Positional {
  /** The table's column names, in table order, for the INSERT. */
  columns: SQL;
  /** The keys carried in each json array, in order. */
  keys: string[];
  arrayKeys: Set<string>;
  /** The select list over `r` (one json array), named as the columns; `bound` gives the columns not carried. */
  select(bound: Record<string, SQL>): SQL;
}

/**
 * A table's columns as positional json values: `r->>i` cast to the column's type, jsonb
 * columns taken as they are (json null is SQL NULL), arrays as PostgreSQL array literals,
 * instants as ISO strings cut to whole milliseconds (what `new Date(iso)` keeps).
 * `fixed` columns are the same for every row: the caller binds them once per statement.
 */
function positional(table: PgTable, fixed: readonly string[]): Positional {
  const all = Object.entries(getTableColumns(table)) as [string, PgColumn][];
  const keys = all.map(([key]) => key).filter((key) => !fixed.includes(key));
  const arrayKeys = new Set(all.filter(([, c]) => c.getSQLType().endsWith('[]')).map(([key]) => key));
  const pieces = all.map(([key, c]): { bound: string } | { text: string } => {
    if (fixed.includes(key)) return { bound: key };
    const i = keys.indexOf(key);
    const type = c.getSQLType();
    const value =
      type === 'jsonb'
        ? `nullif(r->${i}, 'null'::jsonb)`
        : type === 'text'
          ? `r->>${i}`
          : type.startsWith('timestamp')
            ? `date_trunc('milliseconds', (r->>${i})::${type})`
            : `(r->>${i})::${type}`;
    return { text: `${value} as ${snake(key)}` };
  });
  return {
    columns: sql.raw(all.map(([key]) => snake(key)).join(', ')),
    keys,
    arrayKeys,
    select: (bound) =>
      sql.join(
        pieces.map((p) => ('text' in p ? sql.raw(p.text) : sql`${bound[p.bound]!} as ${sql.raw(snake(p.bound))}`)),
        sql`, `,
      ),
  };
}

/** The rows as one json array of positional arrays (a Date serializes as its ISO string). */
function positionalJson(shape: Positional, rows: readonly object[]): string {
  const { keys, arrayKeys } = shape;
  const out = rows.map((row) =>
    keys.map((k) => {
      const v = (row as Record<string, unknown>)[k];
      if (v === undefined) return null;
      return arrayKeys.has(k) ? `{${(v as unknown[]).join(',')}}` : v;
    }),
  );
  return safeJson(out);
}

/**
 * JSON.stringify, with lone UTF-16 surrogates replaced by U+FFFD. JSON.stringify writes a
 * lone surrogate as a `\udXXX` escape, which PostgreSQL's json parser rejects, failing the
 * whole batch (and the probe would resend it forever); bound as a plain text parameter, the
 * same string used to reach PostgreSQL as UTF-8 with U+FFFD in its place. Only lone
 * surrogates are escaped that way, so a batch without the marker takes the fast path.
 */
function safeJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\ud')) return json;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : v));
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A PostgreSQL text[] literal: every element quoted, `"` and `\` escaped. */
function textArray(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += `"${values[i]!.replace(/["\\]/g, '\\$&')}"`;
  }
  return `${out}}`;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
