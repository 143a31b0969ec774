/**
 * The whole relational model. Migrations are generated from this file by drizzle-kit
 * (`npm run db:generate`) and committed under db/migrations; never hand-edit them.
 */
import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import {
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { ALERT_KINDS, SEVERITIES, type GroupDimension, type RuleCondition, type RuleScope } from '../lib/alerts/rule';
import type { SignatureBaseline } from '../lib/alerts/signature-watch';
import { ALERT_STATUSES } from '../lib/alerts/state-machine';
import { endKinds, outcomes, profileKinds, proxyKinds, type EchoStats } from '../lib/contracts/ingest';
import type { PlanStatusReport, profileSchema } from '../lib/contracts/plan';
import { WEBHOOK_FORMATS } from '../lib/webhooks/endpoint';

export * from './schema-access';
export * from './schema-plans';

const tstz = () => timestamp({ withTimezone: true, mode: 'date' });
/** Raw bytes (drizzle has no bytea builder); reads select them as base64 text. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * The key columns an aggregate by path shares: the start of its time bucket (what the bucket
 * is, each table says), the probe (rows go with it) and the path without the probe.
 * A function: drizzle needs new column builders for every table.
 */
function bucketPathKey() {
  return {
    bucket: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    targetName: text().notNull(),
    proxyName: text().notNull(),
    profile: text().notNull(),
  };
}


export const proxyKind = pgEnum('proxy_kind', proxyKinds);
export const endKind = pgEnum('end_kind', endKinds);
export const outcome = pgEnum('outcome', outcomes);
export const profileKind = pgEnum('profile_kind', profileKinds);

export const probes = pgTable(
  'probes',
  {
    id: serial().primaryKey(),
    name: text().notNull(),
    labels: jsonb().$type<Record<string, string>>().notNull().default({}),
    /** sha256 of the token's secret part; the token itself is shown once and never stored. */
    tokenHash: text().notNull(),
    /**
     * `probe`: posts its own sessions. `target`: a standalone canary target
     * (`dropscope-target`), which may post only its views of sessions that reached it.
     */
    kind: text({ enum: ['probe', 'target'] }).notNull().default('probe'),
    agentVersion: text(),
    createdAt: tstz().notNull().defaultNow(),
    firstSeenAt: tstz(),
    lastSeenAt: tstz(),
    revokedAt: tstz(),
    /** From the latest heartbeat. */
    spoolDepth: integer(),
    canariesOpen: integer(),
    canariesConnecting: integer(),
    canariesBackoff: integer(),
  },
  (t) => [uniqueIndex('probes_name_key').on(t.name), check('probes_kind_check', sql`${t.kind} in ('probe', 'target')`)],
);

/**
 * What each probe was served of the fleet plan and what it reported back. A table of its
 * own so that plan fetches never wait on ingest's row lock on `probes` (issue 17).
 */
export const probePlanStatus = pgTable('probe_plan_status', {
  probeId: integer()
    .primaryKey()
    .references(() => probes.id, { onDelete: 'cascade' }),
  fetchedAt: tstz(),
  servedVersion: text(),
  servedRevision: integer(),
  reportedAt: tstz(),
  report: jsonb().$type<PlanStatusReport>(),
});

/** The signature an experiment tests (analysis key, N, kind), as it was when the experiment was made. */
export interface ExperimentSignature {
  key: string;
  nMs: number;
  kind: string;
}

/**
 * Experiments the server asks of one probe through its plan (issue 18; server/experiments
 * makes them from the analysis): a canary with a profile of its own on a target × proxy the
 * probe already runs. At most one per probe, path and kind, so a changed recommendation
 * replaces the experiment instead of piling up beside it. Here rather than in
 * schema-plans.ts because it references `probes`.
 *   verify     a heartbeat held for 3 × N: does the recommended fix hold?
 *   reconnect  a heartbeat held for the reconnect period: does the schedule hand over in time?
 *   keepalive  a silent rung with TCP keepalive: L4 or L7?
 */
export const planExperiments = pgTable(
  'plan_experiments',
  {
    id: serial().primaryKey(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    targetName: text().notNull(),
    proxyName: text().notNull(),
    kind: text({ enum: ['verify', 'reconnect', 'keepalive'] }).notNull(),
    /** The canary's profile as the probe's plan holds it (durations in ms). */
    profile: jsonb().$type<z.output<typeof profileSchema>>().notNull(),
    /** Why, for people ("verify a 30 s heartbeat against the 75 s idle cut"). */
    purpose: text().notNull(),
    signature: jsonb().$type<ExperimentSignature>().notNull(),
    canaries: integer().notNull().default(1),
    createdAt: tstz().notNull().defaultNow(),
    expiresAt: tstz().notNull(),
    /** Set once a session of it has concluded; it then leaves the served plan. */
    concludedAt: tstz(),
  },
  (t) => [
    unique('plan_experiments_key').on(t.probeId, t.targetName, t.proxyName, t.kind),
    check('plan_experiments_kind_check', sql`${t.kind} in ('verify', 'reconnect', 'keepalive')`),
    check('plan_experiments_canaries_check', sql`${t.canaries} between 1 and 10`),
  ],
);

/**
 * The rows that may be experiment sessions, for their partial indexes; the query narrows
 * them by profile kind (db/queries/experiment-sessions.ts).
 */
export const EXPERIMENT_ROW = (t: { gapMs: AnyPgColumn; holdMs: AnyPgColumn; echo: AnyPgColumn }) => sql`(${t.gapMs} is not null or ${t.holdMs} is not null or ${t.echo} is not null)`;

/**
 * One row per connection attempt, keyed by the probe-generated session id and the instant
 * its dial started (every event of a session carries both). Columns are nullable where the
 * value arrives with a later event (an end may arrive before its open).
 *
 * Partitioned by UTC day of attempted_at (migration 0013; lib/retention/partitions.ts),
 * which is why the key holds attempted_at: retention drops whole days. drizzle does not
 * model partitions; the table is used as any other.
 */
export const canarySessions = pgTable(
  'canary_sessions',
  {
    id: text().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    targetName: text().notNull(),
    targetUrl: text().notNull(),
    proxyName: text().notNull(),
    proxyKind: proxyKind().notNull(),
    /** Credentials removed by the probe; the contract rejects URLs with userinfo. */
    proxyUrl: text(),
    profile: text().notNull(),
    profileKind: profileKind(),
    gapMs: doublePrecision(),
    /** Issue 18's descriptor fields (lib/contracts/ingest.ts pathSchema); null on older rows. */
    keepaliveMs: doublePrecision(),
    intervalMs: doublePrecision(),
    holdMs: doublePrecision(),
    attemptedAt: tstz().notNull(),

    dnsMs: doublePrecision(),
    tcpMs: doublePrecision(),
    proxyMs: doublePrecision(),
    tlsMs: doublePrecision(),
    upgradeMs: doublePrecision(),

    /** Null until the open or failure event arrives (an end can come first after a replay). */
    outcome: outcome(),
    httpStatus: smallint(),
    proxyReply: text(),
    errorCode: text(),
    errorMessage: text(),
    responseHeaders: jsonb().$type<Record<string, string>>(),
    /** The forward proxy's identifying CONNECT reply headers (session.opened proxyHeaders). */
    proxyHeaders: jsonb().$type<Record<string, string>>(),
    /** A refusal's own words (first line of its body, or an HTML page's title and first sentence). */
    bodyExcerpt: text(),
    egressAddress: text(),

    openedAt: tstz(),
    endedAt: tstz(),
    durationMs: doublePrecision(),
    sinceLastRecvMs: doublePrecision(),
    sinceLastSentMs: doublePrecision(),
    closeCode: smallint(),
    closeReason: text(),
    endKind: endKind(),
    bytesIn: bigint({ mode: 'number' }),
    bytesOut: bigint({ mode: 'number' }),
    messagesIn: bigint({ mode: 'number' }),
    messagesOut: bigint({ mode: 'number' }),
    rttCount: integer(),
    rttMinMs: doublePrecision(),
    rttMedianMs: doublePrecision(),
    rttMaxMs: doublePrecision(),
    /** An echo canary's message statistics (session.ended `echo`). */
    echo: jsonb().$type<EchoStats>(),
    /**
     * When the server closed this session as lost (issue 19): its probe came back without it
     * (db/queries/ingest-lost.ts), or was revoked. ended_at is then the last instant the
     * probe was heard from, and end_kind and duration_ms stay null: nobody knows how or when
     * it really ended, so it is no drop, no signature and no duration in any histogram
     * (every ending read requires end_kind). Not in the ingest contract: no probe can send
     * it. A real end arriving later replaces it (db/queries/ingest-merge.ts clears it).
     */
    lostAt: tstz(),

    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.attemptedAt] }),
    // The attempts of a range by path (the paths matrix, a path page's phases, the analysis'
    // refusals, the overview's upgrade ratio): the columns they group and count by, so these
    // are index-only scans and a path page visits only its own path's rows.
    index('canary_sessions_attempted_at_idx').on(t.attemptedAt, t.targetName, t.proxyName, t.probeId, t.profile, t.outcome, t.httpStatus, t.endKind, t.durationMs),
    index('canary_sessions_ended_at_idx').on(t.endedAt).where(sql`${t.endedAt} is not null`),
    index('canary_sessions_path_attempted_idx').on(t.targetName, t.proxyName, t.attemptedAt),
    index('canary_sessions_probe_attempted_idx').on(t.probeId, t.attemptedAt),
    // Live canaries: opened, not ended. Stays small however long history grows.
    index('canary_sessions_live_idx')
      .on(t.openedAt)
      .where(sql`${t.endedAt} is null and ${t.outcome} = 'opened'`),
    // The drops page and the analysis read every ending of a range: with the columns they
    // group and filter by in the index (and the id, for numbering a signature's members), a
    // pass is an index-only scan instead of a walk over the wide rows (bench/README.md).
    // (drizzle has no INCLUDE, so they are trailing key columns.)
    index('canary_sessions_endings_idx')
      .on(t.endedAt, t.endKind, t.durationMs, t.sinceLastRecvMs, t.sinceLastSentMs, t.closeCode, t.probeId, t.targetName, t.proxyName, t.profile, t.profileKind, t.gapMs, t.id)
      .where(sql`${t.endKind} is not null`),
    // A signature's members by their 100 ms bin of age (db/queries/analysis.ts windowMembers;
    // the expression is binIndex(AGE, BIN_MS) of db/queries/drop-values.ts, written out as
    // the planner must see it): a window that holds few of the range's drops (those right
    // after the 101) is read here instead of by a backward scan of every drop of the range,
    // 0.2 s a day at 1M sessions a week.
    index('canary_sessions_drop_age_bin_idx')
      .on(
        sql`(floor((case when ${t.endKind} <> 'pong_timeout' then ${t.durationMs} when ${t.sinceLastRecvMs} >= ${t.durationMs} then null else ${t.durationMs} - coalesce(${t.sinceLastRecvMs}, 0) end) / 100::float8)::bigint)`,
        t.endedAt,
      )
      .where(sql`${t.endKind} is not null and ${t.endKind} <> 'probe_closed'`),
    // The filter bar's distinct paths: a skip over this index instead of a pass over every row.
    index('canary_sessions_path_profile_idx').on(t.targetName, t.proxyName, t.profile),
    // One path's endings in a range: the path page's timeline and ladder, a cluster's drops.
    index('canary_sessions_path_ended_idx').on(t.targetName, t.proxyName, t.endedAt).where(sql`${t.endedAt} is not null`),
    // Ladder canaries' endings (the ladder finding, the path page): index-only, without
    // visiting the other profiles' rows of the range.
    index('canary_sessions_ladder_ended_idx')
      .on(t.endedAt, t.probeId, t.targetName, t.proxyName, t.gapMs, t.endKind, t.closeReason)
      .where(sql`${t.profileKind} = 'ladder'`),
    // Experiment sessions (db/queries/experiment-sessions.ts): ladder, bisect and keepalive
    // rungs (each with its gap), held heartbeats, echo canaries with statistics; a few among
    // the range's sessions. Written without the profile kinds: 0026 adds `bisect` and
    // `keepalive` to the enum, and the migrations' transaction cannot use them yet.
    index('canary_sessions_experiments_attempted_idx').on(t.attemptedAt).where(EXPERIMENT_ROW(t)),
    index('canary_sessions_experiments_ended_idx')
      .on(t.endedAt)
      .where(sql`${t.endedAt} is not null and ${EXPERIMENT_ROW(t)}`),
    // Failed attempts of a range (the analysis' refusals): a few in a thousand attempts.
    index('canary_sessions_failed_attempted_idx')
      .on(t.attemptedAt)
      .where(sql`${t.outcome} in ('upgrade_refused', 'proxy_refused', 'dial_failed')`),
    // Sessions open during a scope (the analysis' exposures) start before its end; the egress
    // finding reads the openings of a range by probe and proxy, which these columns make an
    // index-only scan (bench/README.md).
    index('canary_sessions_opened_at_idx')
      .on(t.openedAt, t.probeId, t.proxyName, t.egressAddress, t.endKind, t.endedAt, t.targetName, t.profile)
      .where(sql`${t.openedAt} is not null`),
  ],
);

/**
 * RTT per path at one-minute resolution. `buckets` counts samples on the log scale of
 * lib/rtt/buckets.ts, so p50/p95 can be read back for any range.
 */
export const rttMinutes = pgTable(
  'rtt_minutes',
  {
    minute: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    targetName: text().notNull(),
    proxyName: text().notNull(),
    count: integer().notNull(),
    sumMs: doublePrecision().notNull(),
    minMs: doublePrecision().notNull(),
    maxMs: doublePrecision().notNull(),
    buckets: integer().array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.minute, t.probeId, t.targetName, t.proxyName] }),
    index('rtt_minutes_path_minute_idx').on(t.targetName, t.proxyName, t.minute),
  ],
);

/**
 * The idempotency ledger: one row per event id a probe has sent. A replayed event hits
 * the primary key and is counted as a duplicate instead of being applied twice.
 *
 * No foreign key to probes (migration 0017, issue 14): its check ran once per row, about
 * half of what writing the ledger cost. What it guaranteed is kept once per batch instead:
 * storeBatch takes the KEY SHARE lock on the probe's row the check took (db/queries/ingest.ts),
 * and a statement trigger on probes deletes a deleted probe's rows, as the cascade did.
 */
export const ingestedEvents = pgTable(
  'ingested_events',
  {
    probeId: integer().notNull(),
    eventId: text().notNull(),
    receivedAt: tstz().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.probeId, t.eventId] }), index('ingested_events_received_at_idx').on(t.receivedAt)],
);

/**
 * The canary target's own view of a session's end, beside the probe's (same session id).
 * No foreign key to canary_sessions: the two reports arrive in any order.
 */
export const targetSessionViews = pgTable(
  'target_session_views',
  {
    sessionId: text().primaryKey(),
    /** The reporter that sent it; null for the target built into the server. */
    reporterId: integer().references(() => probes.id, { onDelete: 'set null' }),
    targetName: text().notNull(),
    peerAddress: text().notNull(),
    openedAt: tstz().notNull(),
    endedAt: tstz().notNull(),
    durationMs: doublePrecision().notNull(),
    closeFrameReceived: boolean().notNull(),
    closeCode: smallint(),
    closeReason: text(),
    endKind: endKind().notNull(),
    sinceLastRecvMs: doublePrecision().notNull(),
    sinceLastSentMs: doublePrecision().notNull(),
    messagesIn: bigint({ mode: 'number' }).notNull(),
    messagesOut: bigint({ mode: 'number' }).notNull(),
    receivedAt: tstz().notNull().defaultNow(),
  },
  (t) => [index('target_session_views_ended_at_idx').on(t.endedAt)],
);

/**
 * The rollup maintained at ingest, in the same transaction as the sessions it counts
 * (db/queries/ingest.ts, lib/rollups/contributions.ts): attempts per quarter-hour of
 * attempted_at, per path and outcome. Long ranges read it instead of the session rows; the
 * partial quarters at a range's edges are counted from the sessions
 * (lib/rollups/bucket-split.ts), so answers stay exact. (Its companion for endings,
 * end_rollup, is gone since session 11: the drops page reads endings from the packs.)
 * Absent values are stored as 0 or '' because they are part of the primary key.
 */
export const attemptRollup = pgTable(
  'attempt_rollup',
  {
    /** bucket: start of the quarter-hour (ROLLUP_BUCKET_MS). */
    ...bucketPathKey(),
    outcome: outcome().notNull(),
    /** 0 when there was no HTTP answer. */
    httpStatus: smallint().notNull(),
    /** '' when none; kept for failed attempts only. */
    errorCode: text().notNull(),
    /** '' when none. */
    proxyReply: text().notNull(),
    attempts: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.probeId, t.targetName, t.proxyName, t.profile, t.outcome, t.httpStatus, t.errorCode, t.proxyReply] })],
);

/**
 * The endings aggregate (lib/rollups/ending-buckets.ts), packed (lib/rollups/ending-pack.ts):
 * per hour of ended_at and probe, one row holding each path's ended sessions by their
 * 100 ms bin (`floor(value / 100 ms)`, the analysis' BIN_MS): per filled bin, `sessions`
 * and `drops` by age (AGE, db/queries/drop-values.ts), `idleDrops` by idle time (IDLE),
 * and per path the drops' longest age; the paths themselves are ids into ending_pack_paths
 * (below). Sealed by db/queries/ending-bins.ts from the rows of
 * an hour, never kept by difference. A row per (hour, path, bin) held about one session on
 * a fleet with spread background drops, so reads summed nearly as many rows as sessions.
 */
export const endingPacks = pgTable(
  'ending_packs',
  {
    /** Start of the hour of ended_at (ENDING_BUCKET_MS). */
    bucket: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    /**
     * Per path, in the order of `cells`, 16 bytes big-endian: its ending_pack_paths id
     * (int4), the longest age of its drops in ms (float8, NaN for none), its cell count (int4).
     */
    pathList: bytea().notNull(),
    /**
     * The hour's drops (endings not by the probe) by path, end kind and close code, 12 bytes
     * each big-endian: ending_pack_paths id (int4), end kind (int2, its index in the
     * contract's endKinds), close code (int2, 0 for none), count (int4). What the drops page's
     * endings read for sealed hours (lib/rollups/pack-endings.ts).
     */
    endings: bytea().notNull().default(sql`''::bytea`),
    /** Four big-endian int32 per filled bin (bin, sessions, drops, idleDrops), path after path. */
    cells: bytea().notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.probeId] })],
);

/**
 * The paths of ending_packs, each stored once: a week's packs at 1M sessions repeated the
 * same ~1,700 (path, probe) tuples 72,000 times as jsonb, and parsing them was half of a
 * week's read. Filled by the seal (`insert … on conflict do nothing`), never updated; a
 * pack's `path_list` refers to them by id. Kept as long as any pack may refer to them.
 */
export const endingPackPaths = pgTable(
  'ending_pack_paths',
  {
    id: serial().primaryKey(),
    targetName: text().notNull(),
    proxyName: text().notNull(),
    profile: text().notNull(),
    profileKind: profileKind(),
    gapMs: doublePrecision(),
  },
  (t) => [unique('ending_pack_paths_key').on(t.targetName, t.proxyName, t.profile, t.profileKind, t.gapMs).nullsNotDistinct()],
);

/**
 * The (hour, probe) pairs whose session rows are not all in ending_packs: marked by a
 * statement trigger on canary_sessions (migration 0011) in the writing transaction, removed
 * by the sealer when the version it sealed is still the current one. Ingest takes one
 * batch of a probe at a time, so the pair's row is never contended across probes.
 */
export const endingBinsDirty = dirtyMarks('ending_bins_dirty');

/** A sealed aggregate's dirty marks: (hour, probe) pairs and the version the last write left. */
function dirtyMarks<N extends string>(name: N) {
  return pgTable(
    name,
    {
      bucket: tstz().notNull(),
      probeId: integer().notNull(),
      version: bigint({ mode: 'number' }).notNull().default(1),
    },
    (t) => [primaryKey({ columns: [t.bucket, t.probeId] })],
  );
}

/**
 * The instant before which raw session rows may be gone (retention dropped their days): one
 * row, written by the retention pass (db/queries/retention.ts) in the transaction that drops
 * them. Reports reaching back past it say which parts are approximate.
 */
export const rawRetention = pgTable('raw_retention', {
  /** Always true: the table holds one row. */
  only: boolean().primaryKey().default(true),
  rawSince: tstz().notNull(),
});

// ─── Alerts and webhooks (issue 6) ──────────────────────────────────────────────────────
// Rules, the current state of each alert (rule × label set), the history of transitions,
// webhook endpoints, and the durable outbox with every delivery attempt. A transition and
// its outbox rows are written in one transaction, so a restart neither loses nor repeats.

export const alertKind = pgEnum('alert_kind', ALERT_KINDS);
export const alertSeverity = pgEnum('alert_severity', SEVERITIES);
export const alertStatus = pgEnum('alert_status', ALERT_STATUSES);
export const webhookFormat = pgEnum('webhook_format', WEBHOOK_FORMATS);
export const outboxStatus = pgEnum('webhook_outbox_status', ['pending', 'delivered', 'gave_up']);

/**
 * Silences (issue 19): for a time range, alerts whose labels or rule match every matcher
 * still change state, and are recorded and shown as silenced, but notify no one.
 * Matchers: `target`, `proxy`, `probe`, `rule` (a rule's name) and `label:<key>`, each an
 * exact value (lib/alerts/silence.ts). Ending one early sets `ends_at` to that moment.
 */
export const silences = pgTable(
  'silences',
  {
    id: serial().primaryKey(),
    matchers: jsonb().$type<Record<string, string>>().notNull(),
    startsAt: tstz().notNull(),
    endsAt: tstz().notNull(),
    comment: text().notNull().default(''),
    /** Who created it: a user's email, a token's name, or `cli`. */
    createdBy: text().notNull(),
    createdAt: tstz().notNull().defaultNow(),
    /** Set when ended before its time (by whom); `ends_at` is then that moment. */
    endedBy: text(),
  },
  (t) => [index('silences_ends_at_idx').on(t.endsAt)],
);

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: serial().primaryKey(),
    name: text().notNull(),
    url: text().notNull(),
    /** `whsec_` + base64; shown once at creation, never listed or logged. */
    secret: text().notNull(),
    format: webhookFormat().notNull().default('standard'),
    enabled: boolean().notNull().default(true),
    createdAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [uniqueIndex('webhook_endpoints_name_key').on(t.name)],
);

export const alertRules = pgTable(
  'alert_rules',
  {
    id: serial().primaryKey(),
    name: text().notNull(),
    kind: alertKind().notNull(),
    severity: alertSeverity().notNull(),
    enabled: boolean().notNull().default(true),
    forMs: integer().notNull(),
    resolveAfterMs: integer().notNull(),
    condition: jsonb().$type<RuleCondition>().notNull(),
    scope: jsonb().$type<RuleScope>().notNull().default({}),
    groupBy: text().array().$type<GroupDimension[]>().notNull().default(sql`'{}'::text[]`),
    /** Signature rules: the signatures learned on the first evaluation; reset by an edit. */
    baseline: jsonb().$type<SignatureBaseline>(),
    createdAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [uniqueIndex('alert_rules_name_key').on(t.name)],
);

export const alertRuleWebhooks = pgTable(
  'alert_rule_webhooks',
  {
    ruleId: integer()
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    webhookId: integer()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.webhookId] })],
);

/** One row per rule and label set: the primary key is the deduplication. */
export const alertStates = pgTable(
  'alert_states',
  {
    ruleId: integer()
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    labelsKey: text().notNull(),
    labels: jsonb().$type<Record<string, string>>().notNull(),
    status: alertStatus().notNull(),
    since: tstz().notNull(),
    clearSince: tstz(),
    /** When it last started firing. */
    firedAt: tstz(),
    value: doublePrecision(),
    evidence: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    evaluatedAt: tstz().notNull(),
    /** The silence muting this alert at its last evaluation (issue 19); null when none does. */
    silencedBy: integer().references(() => silences.id, { onDelete: 'set null' }),
    /**
     * Whether receivers were told of the current firing. False while a silence mutes it:
     * the firing is delivered once the silence ends with the alert still firing, and a
     * resolve is delivered only for a firing that was.
     */
    notified: boolean().notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.labelsKey] }), index('alert_states_status_idx').on(t.status)],
);

export const alertTransitions = pgTable(
  'alert_transitions',
  {
    id: serial().primaryKey(),
    ruleId: integer()
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    labelsKey: text().notNull(),
    labels: jsonb().$type<Record<string, string>>().notNull(),
    fromStatus: alertStatus().notNull(),
    toStatus: alertStatus().notNull(),
    at: tstz().notNull(),
    value: doublePrecision(),
    evidence: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** The silence that muted this transition's notification; null when receivers were told (or it notifies no one anyway). */
    silencedBy: integer().references(() => silences.id, { onDelete: 'set null' }),
  },
  (t) => [index('alert_transitions_at_idx').on(t.at), index('alert_transitions_rule_at_idx').on(t.ruleId, t.at)],
);

/**
 * One message per transition and endpoint (or per "send test"). `body` is the exact JSON
 * sent on every attempt with the same `message_id` (the webhook-id header).
 */
export const webhookOutbox = pgTable(
  'webhook_outbox',
  {
    id: serial().primaryKey(),
    messageId: text().notNull(),
    webhookId: integer()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    /** Null for a test message. No cascade: deleting a rule does not unsend its messages. */
    transitionId: integer().references(() => alertTransitions.id, { onDelete: 'set null' }),
    eventType: text().notNull(),
    body: text().notNull(),
    status: outboxStatus().notNull().default('pending'),
    createdAt: tstz().notNull(),
    nextAttemptAt: tstz().notNull(),
    /** A claimed row is leased until then; a crash mid-attempt frees it by expiry. */
    lockedUntil: tstz(),
    attempts: integer().notNull().default(0),
    deliveredAt: tstz(),
    lastError: text(),
  },
  (t) => [
    uniqueIndex('webhook_outbox_message_id_key').on(t.messageId),
    uniqueIndex('webhook_outbox_transition_webhook_key').on(t.transitionId, t.webhookId),
    index('webhook_outbox_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_outbox_webhook_created_idx').on(t.webhookId, t.createdAt),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: serial().primaryKey(),
    outboxId: integer()
      .notNull()
      .references(() => webhookOutbox.id, { onDelete: 'cascade' }),
    startedAt: tstz().notNull(),
    durationMs: doublePrecision().notNull(),
    httpStatus: smallint(),
    ok: boolean().notNull(),
    /** Truncated; receivers' answers can be large. */
    responseSnippet: text(),
    error: text(),
  },
  (t) => [index('webhook_attempts_outbox_idx').on(t.outboxId, t.startedAt)],
);

// ─── Report aggregates (issue 14): the paths matrix and the overview's histogram ─────────
// Sealed per (hour, probe) as ending_packs is (db/queries/report-bins.ts): a statement
// trigger on canary_sessions (migration 0012) marks what a write touched, the servers'
// sealer recomputes closed hours, and reads take sealed hours from here and the rest from
// the rows, so answers equal a read of every row.

/**
 * The paths matrix's aggregate (db/queries/attempt-lifetimes.ts): per hour of attempted_at
 * and path, the sessions by lifetime bin (lib/rollups/lifetime-bins.ts; null for a session
 * not ended or without a duration) with the matrix's counts and the latest attempt.
 */
export const attemptLifetimes = pgTable(
  'attempt_lifetimes',
  {
    /** bucket: start of the hour of attempted_at. */
    ...bucketPathKey(),
    /** Log-scale lifetime bin of an ended session's duration; null when none. */
    bin: integer(),
    sessions: integer().notNull(),
    /** Sessions with a known outcome. */
    attempts: integer().notNull(),
    opened: integer().notNull(),
    ended: integer().notNull(),
    /** Endings not caused by the probe. */
    drops: integer().notNull(),
    lastAttemptedAt: tstz().notNull(),
  },
  (t) => [index('attempt_lifetimes_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of attempted_at, probe) pairs whose rows are not all in attempt_lifetimes (as ending_bins_dirty). */
export const attemptLifetimesDirty = dirtyMarks('attempt_lifetimes_dirty');

/**
 * The overview's duration histogram (db/queries/duration-bins.ts): per hour of ended_at and
 * probe, the ended sessions with a duration in the centred bins of every nice width the
 * histogram could use for a window holding the hour (lib/overview/histogram-bins.ts: the
 * widths w with floor(maxMs / w) + 1 <= MAX_BINS), and the hour's longest duration.
 */
export const durationBins = pgTable(
  'duration_bins',
  {
    /** Start of the hour of ended_at. */
    bucket: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    widthMs: integer().notNull(),
    /** floor(duration_ms / widthMs + 0.5): the centred bin. */
    bin: integer().notNull(),
    sessions: integer().notNull(),
    drops: integer().notNull(),
    /** The (hour, probe)'s longest duration, on each of its rows. */
    maxMs: doublePrecision().notNull(),
  },
  (t) => [index('duration_bins_bucket_idx').on(t.bucket, t.widthMs)],
);

/** The (hour of ended_at, probe) pairs whose rows are not all in duration_bins. */
export const durationBinsDirty = dirtyMarks('duration_bins_dirty');

// ─── Findings aggregates (issue 14) ─────────────────────────────────────────────────────
// What the analysis' findings (db/queries/finding-*.ts) read for whole hours instead of the
// session rows, sealed as every aggregate of ours (db/queries/sealed-aggregate.ts): per
// (hour, probe), marked dirty by the triggers of migration 0015 (rtt_hours by one on
// rtt_minutes), recomputed from the rows once the hour has closed. Reads take the sealed
// hours from here and the rest from the rows, so answers equal a read of every row.

/**
 * Attempts and refusals (db/queries/finding-refusals.ts): per hour of attempted_at and
 * path, the attempts by outcome: the refused ones (upgrade_refused, proxy_refused,
 * dial_failed) also by reason and Server header, with the latest one's evidence; the
 * opened ones in one row, with an empty reason and no evidence.
 */
export const findingRefusals = pgTable(
  'finding_refusals',
  {
    /** bucket: start of the hour of attempted_at. */
    ...bucketPathKey(),
    outcome: outcome().notNull(),
    /** A refusal's HTTP status, else the proxy's reply, else the error code, else 'unknown'; '' when opened. */
    reason: text().notNull(),
    server: text(),
    attempts: integer().notNull(),
    /**
     * The latest refusal as one text that sorts bytewise as (attempted_at, id) do, then its
     * evidence as JSON (finding-refusals.ts `LATEST`): the greatest over any hours is the
     * latest of them, found by hash, with its evidence. Null when opened.
     */
    latest: text(),
  },
  (t) => [index('finding_refusals_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of attempted_at, probe) pairs whose rows are not all in finding_refusals. */
export const findingRefusalsDirty = dirtyMarks('finding_refusals_dirty');

/**
 * Silent deaths (db/queries/finding-silent.ts): per hour of ended_at and path, the
 * pong_timeout endings by their exact quiet time (since_last_recv_ms; null kept as such),
 * so that the median over any set of hours is exact.
 */
export const findingSilentDeaths = pgTable(
  'finding_silent_deaths',
  {
    /** bucket: start of the hour of ended_at. */
    ...bucketPathKey(),
    quietMs: doublePrecision(),
    deaths: integer().notNull(),
    /** Of `deaths`, those without an age (nothing received after the 101). */
    neverAnswered: integer().notNull(),
  },
  (t) => [index('finding_silent_deaths_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of ended_at, probe) pairs whose rows are not all in finding_silent_deaths. */
export const findingSilentDeathsDirty = dirtyMarks('finding_silent_deaths_dirty');

/** Ladder rungs (db/queries/finding-ladder.ts): per hour of ended_at, path and gap, the rungs survived and died. */
export const findingLadderRungs = pgTable(
  'finding_ladder_rungs',
  {
    /** bucket: start of the hour of ended_at. */
    ...bucketPathKey(),
    gapMs: doublePrecision().notNull(),
    survived: integer().notNull(),
    died: integer().notNull(),
  },
  (t) => [index('finding_ladder_rungs_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of ended_at, probe) pairs whose rows are not all in finding_ladder_rungs. */
export const findingLadderRungsDirty = dirtyMarks('finding_ladder_rungs_dirty');

/**
 * Drops by minute (db/queries/finding-rtt.ts): per hour of ended_at and path, the drops
 * and two 60-bit masks of the hour's minutes: bit i set when a drop ended in minute i, and
 * when one ended exactly on its first instant (it then reaches one RTT minute further back).
 */
export const findingDropMinutes = pgTable(
  'finding_drop_minutes',
  {
    /** bucket: start of the hour of ended_at. */
    ...bucketPathKey(),
    drops: integer().notNull(),
    minutes: bigint({ mode: 'number' }).notNull(),
    onMinute: bigint({ mode: 'number' }).notNull(),
  },
  (t) => [index('finding_drop_minutes_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of ended_at, probe) pairs whose rows are not all in finding_drop_minutes. */
export const findingDropMinutesDirty = dirtyMarks('finding_drop_minutes_dirty');

/**
 * RTT per hour (db/queries/finding-rtt.ts): rtt_minutes' samples and their sum per hour,
 * probe and path, in all and minute by minute (60 elements each, 0 for a minute without).
 */
export const rttHours = pgTable(
  'rtt_hours',
  {
    /** Start of the hour of the minutes. */
    bucket: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    targetName: text().notNull(),
    proxyName: text().notNull(),
    count: bigint({ mode: 'number' }).notNull(),
    sumMs: doublePrecision().notNull(),
    minuteCounts: integer().array().notNull(),
    minuteSums: doublePrecision().array().notNull(),
  },
  (t) => [index('rtt_hours_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of minute, probe) pairs whose rtt_minutes are not all in rtt_hours. */
export const rttHoursDirty = dirtyMarks('rtt_hours_dirty');

/**
 * Egress runs (db/queries/finding-egress.ts): per hour of opened_at, probe and proxy, the
 * openings with an egress address in runs of one address (in the order of opened_at, then
 * the address bytewise): per run a row of all its openings (target and profile null) and
 * one per target and profile; a run is named by its first opening and its address, which
 * order the runs of the hour.
 */
export const findingEgressRuns = pgTable(
  'finding_egress_runs',
  {
    /** Start of the hour of opened_at. */
    bucket: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    proxyName: text().notNull(),
    runStart: tstz().notNull(),
    egress: text().notNull(),
    /** Null on the run's row of all its openings. */
    targetName: text(),
    profile: text(),
    openings: integer().notNull(),
    drops: integer().notNull(),
  },
  (t) => [index('finding_egress_runs_bucket_idx').on(t.bucket, t.probeId)],
);

/** The (hour of opened_at, probe) pairs whose rows are not all in finding_egress_runs. */
export const findingEgressRunsDirty = dirtyMarks('finding_egress_runs_dirty');

/**
 * Drops near another egress address (db/queries/finding-egress.ts): per hour of ended_at,
 * the drops with an address that ended within 5 s of an opening of the same probe and
 * proxy with another one, by path and the instant the dropped session opened (which the
 * scope selects them by).
 */
export const findingEgressNear = pgTable(
  'finding_egress_near',
  {
    /** Start of the hour of ended_at. */
    bucket: tstz().notNull(),
    probeId: integer()
      .notNull()
      .references(() => probes.id, { onDelete: 'cascade' }),
    proxyName: text().notNull(),
    targetName: text().notNull(),
    profile: text().notNull(),
    openedAt: tstz().notNull(),
    drops: integer().notNull(),
  },
  (t) => [index('finding_egress_near_bucket_idx').on(t.bucket, t.probeId), index('finding_egress_near_opened_at_idx').on(t.openedAt)],
);

/** The (hour of ended_at, probe) pairs whose rows are not all in finding_egress_near. */
export const findingEgressNearDirty = dirtyMarks('finding_egress_near_dirty');
