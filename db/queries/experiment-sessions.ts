/**
 * The sessions of experiment profiles in a scope, for the active diagnosis (issue 18,
 * lib/diagnosis): ladder, bisect and keepalive rungs, heartbeats held for a set time
 * (verification canaries and reconnect schedules) and echo canaries that sent statistics.
 * The diagnosis replays rungs in the order they ran, so it reads the rows themselves, not
 * an aggregate; the bound below keeps that read small however long a path has been bisected.
 */
import { and, isNull, sql, type SQL } from 'drizzle-orm';
import type { EchoStats, EndKind, ProfileKind } from '../../lib/contracts/ingest';
import type { ExperimentSession } from '../../lib/diagnosis/types';
import type { Executor } from '../client';
import { canarySessions as s, EXPERIMENT_ROW, probes } from '../schema';
import type { AnalysisScope } from './analysis';
import { instant } from './literals';
import { pathFilters, rowsOf } from './scope';

/**
 * Sessions read per probe × target × proxy × profile, the latest. A bisection converges in
 * about ten rungs and restarts when the path changes; a verification needs a handful of
 * sessions. 200 covers many restarts, and bounds the rows a path bisected for weeks adds.
 */
export const EXPERIMENT_SESSIONS_PER_PATH = 200;

/**
 * Experiment sessions: what the partial indexes hold (EXPERIMENT_ROW, which a rung's gap
 * puts every ladder, bisect and keepalive rung in), narrowed to the profiles that are
 * experiments. Not written with the kinds alone, so that the planner sees the indexes'
 * predicate implied.
 */
const EXPERIMENT = sql`(${EXPERIMENT_ROW(s)} and (${s.profileKind} in ('bisect', 'keepalive', 'ladder') or ${s.holdMs} is not null or ${s.echo} is not null))`;

interface Row {
  probe: string;
  labels: Record<string, string> | string | null;
  target: string;
  proxy: string;
  profile: string;
  profile_kind: string | null;
  gap_ms: number | string | null;
  keepalive_ms: number | string | null;
  interval_ms: number | string | null;
  hold_ms: number | string | null;
  attempted_ms: number | string;
  ended_ms: number | string | null;
  duration_ms: number | string | null;
  end_kind: string | null;
  close_code: number | string | null;
  close_reason: string | null;
  echo: EchoStats | string | null;
}

/**
 * Experiment sessions in `scope`: attempted in [from, to), ended in it, or still open (opened
 * before `to`, no end yet: a verification canary held for 3 × N outlives many scopes), on
 * the scope's probe, label, target, proxy and profile; at most the latest
 * EXPERIMENT_SESSIONS_PER_PATH (by attempt) per probe × target × proxy × profile. In the
 * order they were attempted (then by id). An open session's durationMs is its age at `now`;
 * an attempt that never opened has neither endKind nor durationMs.
 */
export async function experimentSessions(db: Executor, scope: AnalysisScope, now: Date): Promise<ExperimentSession[]> {
  const from = instant(scope.from);
  const to = instant(scope.to);
  const filters = pathFilters(s, scope);
  const inRange = (column: typeof s.attemptedAt | typeof s.endedAt) => sql`(${column} >= ${from} and ${column} < ${to})`;
  // Three disjoint reads, each on an index: the attempts of the range, the endings of the
  // range attempted outside it, and the open sessions attempted before it.
  const arms: SQL[] = [
    and(EXPERIMENT, inRange(s.attemptedAt), ...filters)!,
    and(EXPERIMENT, inRange(s.endedAt), sql`(${s.attemptedAt} < ${from} or ${s.attemptedAt} >= ${to})`, ...filters)!,
    and(EXPERIMENT, sql`${s.outcome} = 'opened'`, isNull(s.endedAt), sql`${s.openedAt} < ${to}`, sql`${s.attemptedAt} < ${from}`, ...filters)!,
  ];
  const columns = sql`${s.id} as id, ${s.probeId} as probe_id, ${s.targetName} as target, ${s.proxyName} as proxy, ${s.profile} as profile,
    ${s.profileKind}::text as profile_kind, ${s.gapMs} as gap_ms, ${s.keepaliveMs} as keepalive_ms, ${s.intervalMs} as interval_ms, ${s.holdMs} as hold_ms,
    ${s.attemptedAt} as attempted_at, ${s.endedAt} as ended_at, ${s.openedAt} as opened_at, ${s.durationMs} as duration_ms,
    ${s.endKind}::text as end_kind, ${s.closeCode} as close_code, ${s.closeReason} as close_reason, ${s.echo} as echo`;
  const union = sql.join(
    arms.map((where) => sql`select ${columns} from ${s} where ${where}`),
    sql` union all `,
  );
  // Epoch milliseconds computed here: the drivers hand timestamps back differently.
  const ms = (column: string) => sql.raw(`(extract(epoch from e.${column}) * 1000)::float8`);
  const rows = rowsOf<Row>(
    await db.execute(sql`
      select ${probes.name} as probe, ${probes.labels} as labels, e.target, e.proxy, e.profile, e.profile_kind,
        e.gap_ms, e.keepalive_ms, e.interval_ms, e.hold_ms, ${ms('attempted_at')} as attempted_ms, ${ms('ended_at')} as ended_ms,
        case when e.ended_at is null and e.opened_at is not null then (extract(epoch from (${instant(now)} - e.opened_at)) * 1000)::float8 else e.duration_ms end as duration_ms,
        e.end_kind, e.close_code, e.close_reason, e.echo
      from (
        select u.*, row_number() over (partition by u.probe_id, u.target, u.proxy, u.profile order by u.attempted_at desc, u.id desc) as latest
        from (${union}) as u
      ) as e
      join ${probes} on ${probes.id} = e.probe_id
      where e.latest <= ${sql.raw(String(EXPERIMENT_SESSIONS_PER_PATH))}
      order by e.attempted_at, e.id`),
  );
  return rows.map(sessionOf);
}

const numOrNull = (v: number | string | null) => (v === null ? null : Number(v));
const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function sessionOf(r: Row): ExperimentSession {
  return {
    probe: r.probe,
    labels: json(r.labels) ?? {},
    target: r.target,
    proxy: r.proxy,
    profile: r.profile,
    profileKind: r.profile_kind as ProfileKind | null,
    gapMs: numOrNull(r.gap_ms),
    keepaliveMs: numOrNull(r.keepalive_ms),
    intervalMs: numOrNull(r.interval_ms),
    holdMs: numOrNull(r.hold_ms),
    attemptedAt: Number(r.attempted_ms),
    endedAt: numOrNull(r.ended_ms),
    durationMs: numOrNull(r.duration_ms),
    endKind: r.end_kind as EndKind | null,
    closeCode: numOrNull(r.close_code),
    closeReason: r.close_reason,
    echo: json(r.echo),
  };
}

/** How far back from the scope's end a target's 101 is looked for. */
const IDENTITY_LOOKBACK_MS = 86_400_000;

/**
 * The identifying headers of each target's latest 101 in the scope (its last day at most):
 * what a declared chain's entry points say about themselves (lib/diagnosis/diagnose.ts).
 */
export async function upgradeIdentities(db: Executor, targets: readonly string[], scope: Pick<AnalysisScope, 'from' | 'to'>): Promise<Map<string, Record<string, string>>> {
  if (targets.length === 0) return new Map();
  const from = new Date(Math.max(scope.from.getTime(), scope.to.getTime() - IDENTITY_LOOKBACK_MS));
  const rows = rowsOf<{ target: string; headers: Record<string, string> | string }>(
    await db.execute(sql`select distinct on (${s.targetName}) ${s.targetName} as target, ${s.responseHeaders} as headers
      from ${s}
      where ${s.targetName} in (${sql.join(targets.map((t) => sql`${t}`), sql`, `)})
        and ${s.responseHeaders} is not null and ${s.attemptedAt} >= ${instant(from)} and ${s.attemptedAt} < ${instant(scope.to)}
      order by ${s.targetName}, ${s.attemptedAt} desc`),
  );
  return new Map(rows.map((r) => [r.target, typeof r.headers === 'string' ? (JSON.parse(r.headers) as Record<string, string>) : r.headers]));
}
