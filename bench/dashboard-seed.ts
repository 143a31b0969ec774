/**
 * The dashboard bench's data, generated inside PostgreSQL (`insert ... select` over
 * generate_series, seeded with setseed so every run stores the same rows): exactly
 * SESSION_TOTAL canary_sessions rows over the 7 days before `to`, as 4 probes would
 * report them running canaries on 3 targets x 4 proxies x 3 profiles. The scale bench
 * (bench/scale.ts) seeds other fleets with it: more sessions, more probes (paths),
 * heartbeat canaries that live longer, or the smooth worst case (`Fleet`).
 *
 * - ended sessions: most are drops at random exponential ages (mean 15 min), with three
 *   layers planted so the analysis has signatures to find (as bench/analysis-seed.ts
 *   plants them): idle canaries through corp-squid cut at 60 s, every canary to chat
 *   closed at 100 s, idle canaries from edge-sin-1 dying silently at 350 s; 3 % closed by
 *   the probe; a ladder profile whose rungs (30-120 s of silence) survive unless a layer
 *   cuts them; egress addresses through mobile-de rotating every hour.
 * - LIVE canaries opened in the last hour and not ended.
 * - FAILED attempts: refused upgrades (HTTP 403/502/503), proxy refusals, dial failures.
 * - the built-in target's own view of each of its ended sessions (target_session_views).
 * - rtt_minutes: one row per minute x probe x target x proxy over the 7 days (what the
 *   heartbeat canaries' pings roll up to), 72-bucket arrays from 64 templates.
 * - 4 probes that report, one revoked and one never seen.
 *
 * bench/analysis-seed.ts seeds one day with fixed ids; this one needs seven, so it is
 * its own file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { rollupBackfillStatements } from '../db/rollups-backfill';
import { DAY_MS, dayOf, partitionName } from '../lib/retention/partitions';
import { PROBES, PROXIES, TARGETS } from './analysis-seed';

export const SESSION_TOTAL = 1_000_000;
export const SPAN_MS = 7 * 86_400_000;
/** Shares of the sessions that are open canaries and failed attempts (2,000 and 20,000 of a million). */
const LIVE_SHARE = 0.002;
const FAILED_SHARE = 0.02;
/** Mean age of a background drop (exponential), and of a heartbeat canary's unless the fleet says otherwise. */
const BACKGROUND_MEAN_MS = 900_000;
/** The smooth worst case fills every 100 ms bin of ages below this, none more than the next. */
export const SMOOTH_MAX_AGE_MS = 2 * 3_600_000;

/**
 * What to seed. The defaults are the dashboard bench's fleet: 1,000,000 sessions from 4
 * probes (144 paths: probe x target x proxy x profile), every layer planted.
 */
export interface Fleet {
  /** canary_sessions rows in all: ended, live (0.2 %) and failed attempts (2 %). */
  sessions: number;
  /** Probes reporting (at least 4: the first four are bench/analysis-seed.ts's, edge-sin-1 third); more make more paths. */
  probes: number;
  /** Mean age of a heartbeat canary that no layer cuts (exponential); the default is the background drops' 15 min. */
  heartbeatMeanMs: number;
  /**
   * `planted`: background drops plus the planted layers' peaks, probe-closed survivors and
   * ladder rungs. `smooth`: the worst case for the histograms: every session a background
   * drop, ages spread evenly over [0, SMOOTH_MAX_AGE_MS) so every 100 ms bin is filled and
   * none stands out (no peak to find).
   */
  ages: 'planted' | 'smooth';
}

export const DEFAULT_FLEET: Fleet = { sessions: SESSION_TOTAL, probes: 4, heartbeatMeanMs: BACKGROUND_MEAN_MS, ages: 'planted' };

const REGIONS = ['fra', 'nyc', 'sin', 'gru'] as const;
const LABELS = ['eu', 'us', 'ap', 'sa'] as const;
/** The first `n` probes: PROBES, then edge-fra-2, edge-nyc-2, ... */
function fleetProbes(n: number): { name: string; labels: Record<string, string> }[] {
  return Array.from({ length: n }, (_, k) =>
    k < PROBES.length ? PROBES[k]! : { name: `edge-${REGIONS[k % 4]!}-${1 + Math.floor(k / 4)}`, labels: { region: LABELS[k % 4]! } },
  );
}

const PROFILES = [
  { name: 'idle', kind: 'idle' },
  { name: 'heartbeat-25s', kind: 'heartbeat' },
  { name: 'ladder', kind: 'ladder' },
] as const;

export interface SeedSummary {
  sessions: number;
  ended: number;
  drops: number;
  live: number;
  failed: number;
  targetViews: number;
  rttMinutes: number;
  probes: number;
  /** The target x proxy with the most sessions attempted in the last 24 h before `to`. */
  busiestPath: { target: string; proxy: string; sessions24h: number };
}

/** Where a migration that adds a sealed aggregate starts marking the hours of the rows already there. */
const MARKING = "-- The rows already there: every hour of them is dirty until the servers' sealer has read it.";

/**
 * The statements of every migration after its MARKING line (each such migration ends with
 * them): a seed that writes with the triggers off marks the hours of every aggregate, also
 * of one added later, as upgrading a database would.
 * @throws when no migration has any (the marker text changed).
 */
function markingStatements(): string[] {
  const dir = join(__dirname, '../db/migrations');
  const out = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .flatMap((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const at = text.indexOf(MARKING);
      return at < 0 ? [] : text.slice(at).split('--> statement-breakpoint').map((x) => x.trim()).filter((x) => x.length > 0);
    });
  if (out.length === 0) throw new Error(`no migration marks the hours of its rows (${MARKING})`);
  return out;
}

const lit = (s: string | null) => (s === null ? 'null' : `'${s.replace(/'/g, "''")}'`);
const arr = (xs: readonly (string | null)[]) => `array[${xs.map(lit).join(', ')}]::text[]`;

/**
 * Seed an empty, migrated database. `to` is the newest instant (sessions end before it);
 * everything lies in [to - 7 d, to). One transaction; returns what it stored. With the
 * default fleet the rows are the same on every run (setseed).
 *
 * @throws RangeError for a fleet of fewer than 10,000 sessions or 4 probes.
 */
export async function seedDashboard(sql: Sql, to: Date, fleet: Fleet = DEFAULT_FLEET): Promise<SeedSummary> {
  if (!Number.isInteger(fleet.sessions) || fleet.sessions < 10_000) throw new RangeError(`fleet.sessions must be an integer >= 10000, got ${fleet.sessions}`);
  if (!Number.isInteger(fleet.probes) || fleet.probes < PROBES.length) throw new RangeError(`fleet.probes must be an integer >= ${PROBES.length}, got ${fleet.probes}`);
  if (!(fleet.heartbeatMeanMs > 0)) throw new RangeError(`fleet.heartbeatMeanMs must be positive, got ${fleet.heartbeatMeanMs}`);
  const LIVE = Math.round(fleet.sessions * LIVE_SHARE);
  const FAILED = Math.round(fleet.sessions * FAILED_SHARE);
  const ENDED = fleet.sessions - LIVE - FAILED;
  const P = fleet.probes;
  const probes = fleetProbes(P);
  const smooth = fleet.ages === 'smooth';
  const t1 = `'${to.toISOString()}'::timestamptz`;
  const t0 = `(${t1} - interval '${SPAN_MS} milliseconds')`;

  return sql.begin(async (tx) => {
    await tx.unsafe('select setseed(0.5)');
    // Bulk load: sort in memory, skip the per-row foreign-key triggers (the probe ids come
    // from the insert just below), and build the indexes once at the end instead of row by
    // row. Primary keys and indexes are read back from the catalogue and recreated as they
    // were, so the schema after seeding is exactly the migrated one.
    await tx.unsafe("set local work_mem = '256MB'");
    await tx.unsafe("set local maintenance_work_mem = '512MB'");
    await tx.unsafe('set local session_replication_role = replica');
    const keys = await tx.unsafe<{ tab: string; name: string; def: string }[]>(`
      select conrelid::regclass::text as tab, conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where contype = 'p' and conrelid in ('canary_sessions'::regclass, 'rtt_minutes'::regclass, 'target_session_views'::regclass)`);
    const secondary = await tx.unsafe<{ name: string; def: string }[]>(`
      select indexname as name, indexdef as def from pg_indexes
      where schemaname = current_schema() and tablename in ('canary_sessions', 'rtt_minutes', 'target_session_views')
        and indexname not in (select conname from pg_constraint where contype in ('p', 'u'))`);
    for (const ix of secondary) await tx.unsafe(`drop index "${ix.name}"`);
    for (const k of keys) await tx.unsafe(`alter table ${k.tab} drop constraint "${k.name}"`);
    // Every seeded day in a partition of its own, as a server that ran through those days
    // would have created them (server/retention.ts, days ahead): rows in the default
    // partition would make every read by day scan all of them.
    for (let day = dayOf(to.getTime() - SPAN_MS - 2 * DAY_MS); day <= dayOf(to.getTime()); day += DAY_MS) {
      const name = partitionName(day);
      const [exists] = await tx.unsafe<{ n: number }[]>(`select count(*)::int as n from pg_class where relname = ${lit(name)}`);
      if (exists && exists.n === 0) {
        await tx.unsafe(`create table "${name}" partition of canary_sessions for values from ('${new Date(day).toISOString()}') to ('${new Date(day + DAY_MS).toISOString()}')`);
      }
    }

    const probeRows = await tx.unsafe<{ id: number }[]>(`
      insert into probes (name, labels, token_hash, agent_version, created_at, first_seen_at, last_seen_at, revoked_at, spool_depth, canaries_open, canaries_connecting, canaries_backoff)
      select name, labels::jsonb, md5('token-' || name), v, ${t0} - interval '1 day', fs, ls, rv, 0, 40, 1, 0
      from (values
        ${probes.map((p) => `(${lit(p.name)}, ${lit(JSON.stringify(p.labels))}, '0.1.0', ${t0}, ${t1}, null::timestamptz)`).join(',\n        ')},
        ('edge-old-1', '{"region":"eu"}', '0.0.9', ${t0} - interval '30 days', ${t0} - interval '20 days', ${t0} - interval '19 days'),
        ('edge-new-1', '{"region":"us"}', null, null, null, null)
      ) as p(name, labels, v, fs, ls, rv)
      returning id`);
    const ids = `array[${probeRows.slice(0, P).map((r) => r.id).join(', ')}]::int[]`;

    // i -> probe p, target t, proxy x, profile f, ladder rung k: every combination equally often.
    const path = (i: string) => `${i} % ${P} as p, (${i} / ${P}) % 3 as t, (${i} / ${3 * P}) % 4 as x, (${i} / ${12 * P}) % 3 as f, (${i} / ${36 * P}) % 4 as k`;
    const pathColumns = `
      (${ids})[p + 1], (${arr(TARGETS.map((t) => t.name))})[t + 1], (${arr(TARGETS.map((t) => t.url))})[t + 1],
      (${arr(PROXIES.map((x) => x.name))})[x + 1], ((${arr(PROXIES.map((x) => x.kind))})[x + 1])::proxy_kind, (${arr(PROXIES.map((x) => x.url))})[x + 1],
      (${arr(PROFILES.map((f) => f.name))})[f + 1], ((${arr(PROFILES.map((f) => f.kind))})[f + 1])::profile_kind,
      case when f = 2 then (k + 1) * 30000 end`;
    const headers = `jsonb_build_object('server', (${arr(TARGETS.map((t) => t.server))})[t + 1], 'x-dropscope-target', (${arr(TARGETS.map((t) => t.name))})[t + 1])
      || case when x = 1 then '{"via": "1.1 squid.corp.example (squid/5.7)"}'::jsonb else '{}'::jsonb end`;
    const egress = (opened: string) =>
      `case when x = 2 then '198.51.100.' || (1 + (floor(extract(epoch from ${opened}) / 3600))::int % 50) else '203.0.113.' || (p * 4 + x + 1) end`;
    const columns = `id, probe_id, target_name, target_url, proxy_name, proxy_kind, proxy_url, profile, profile_kind, gap_ms, attempted_at,
      dns_ms, tcp_ms, proxy_ms, tls_ms, upgrade_ms, outcome, http_status, response_headers, egress_address`;

    // A background drop's age: exponential (heartbeat canaries with their own mean), or in the
    // smooth case session i's 100 ms bin, the bins taken in turn and shifted by one every round
    // so that a bin's sessions are not all on one path.
    const bins = SMOOTH_MAX_AGE_MS / 100;
    const backgroundAge = smooth
      ? `((i - 1 + (i - 1) / ${bins}) % ${bins} + r_age) * 100`
      : `-ln(1 - r_age) * case when f = 1 then ${fleet.heartbeatMeanMs} else ${BACKGROUND_MEAN_MS} end`;
    await tx.unsafe(`
      insert into canary_sessions (${columns}, opened_at, ended_at, duration_ms, since_last_recv_ms, since_last_sent_ms,
        close_code, close_reason, end_kind, bytes_in, bytes_out, messages_in, messages_out, rtt_count, rtt_min_ms, rtt_median_ms, rtt_max_ms)
      with g as (
        select i, ${path('i')},
          random() as r_surv, random() as r_age, random() as r_end, random() as r_when, random() as r_talk, random() as r_j1, random() as r_j2
        from generate_series(1, ${ENDED}) as i
      ), c as (
        -- The smallest N of the planted layers that cut this path (least() skips nulls).
        select g.*, ${backgroundAge} as exp_age,
          least(case when x = 1 and f <> 1 then 60000 end, case when t = 1 then 100000 end, case when p = 2 and f = 0 then 350000 end) as cap,
          case when f = 2 then (k + 1) * 30000 + 500 end as rung_age
        from g
      ), d as (
        select c.*,
          ${smooth ? `'background'` : `case when f = 2 then
                 case when exp_age < least(rung_age, coalesce(cap, rung_age)) then 'background'
                      when cap < rung_age then case cap when 60000 then 'squid' when 100000 then 'chat' else 'sin' end
                      else 'rung' end
               when r_surv < 0.03 then 'survivor'
               when cap is not null and exp_age >= cap then case cap when 60000 then 'squid' when 100000 then 'chat' else 'sin' end
               else 'background' end`} as fate,
          sqrt(-2 * ln(1 - r_j1)) * cos(2 * pi() * r_j2) * 50 as jitter
        from c
      ), e as (
        select d.*,
          case fate when 'survivor' then r_age * least(coalesce(cap, 3600000), 3600000) when 'rung' then rung_age when 'background' then exp_age else cap + jitter end as age,
          case when fate in ('survivor', 'rung') then 'probe_closed' when fate = 'squid' then 'tcp_fin' when fate = 'chat' then 'close_frame' when fate = 'sin' then 'pong_timeout'
               else case when r_end < 0.4 then 'tcp_reset' when r_end < 0.7 then 'tcp_fin' when r_end < 0.9 then 'close_frame' else 'error' end end as ek,
          -- Session i ends in the i-th of ${ENDED} equal slots of the span: uniform over the 7 days,
          -- and generated in the order ingest leaves the rows (a session row gets its final
          -- version when it ends), without sorting a million rows.
          ${t0} + (i - 1 + r_when) * interval '${SPAN_MS / ENDED} milliseconds' as ended
        from d
      ), h as (
        -- Silence before the end: an idle canary's is its age; a heartbeat canary pings every 25 s;
        -- a ladder rung that survived heard its echo just before the probe closed it.
        select e.*,
          case when ek = 'pong_timeout' then age + 3000 else age end as duration,
          case when ek = 'pong_timeout' then 3000 when fate = 'rung' then 400 when f = 1 then greatest(0, r_talk * least(age, 25000) - 20) else age end as recv,
          case when ek = 'pong_timeout' then 1000 when fate = 'rung' then 500 when f = 1 then r_talk * least(age, 25000) else age end as sent
        from e
      )
      select md5('dash-' || i)::uuid::text, ${pathColumns},
        ended - (duration + 120) * interval '1 millisecond',
        3 + r_j1 * 10, 20 + r_j2 * 30, case when x = 0 then null else 15 + r_talk * 40 end, 40 + r_j1 * 20, 25 + r_j2 * 20,
        'opened', 101, ${headers}, ${egress('ended - duration * interval \'1 millisecond\'')},
        ended - duration * interval '1 millisecond', ended, duration, recv, sent,
        case when ek = 'close_frame' then case when fate = 'chat' then 1001 else 1011 end when ek = 'probe_closed' then 1000 else 1006 end,
        case when fate = 'chat' then 'max connection age' when fate = 'rung' then 'ladder: survived ' || (k + 1) * 30 || ' s idle'
             when ek = 'probe_closed' then 'probe stopping' end,
        ek::end_kind, 300 + case when f = 1 then floor(age / 25000) * 14 else 0 end, 400 + case when f = 1 then floor(age / 25000) * 22 else 0 end,
        case when f = 1 then floor(age / 25000) else 0 end, case when f = 1 then floor(age / 25000) else 0 end,
        case when f = 1 then floor(age / 25000) end, case when f = 1 and age >= 25000 then 15 + r_j1 * 5 end,
        case when f = 1 and age >= 25000 then 22 + r_j2 * 5 end, case when f = 1 and age >= 25000 then 40 + r_talk * 200 end
      from h`);

    // Canaries open now, opened within the last hour.
    await tx.unsafe(`
      insert into canary_sessions (${columns}, opened_at)
      select 'live-' || md5('dash-live-' || i)::uuid::text, ${pathColumns}, opened - interval '120 milliseconds', 5, 30, null, 50, 30, 'opened', 101, ${headers}, ${egress('opened')}, opened
      from (select i, ${path('i')}, ${t1} - random() * interval '1 hour' as opened from generate_series(1, ${LIVE}) as i) as l`);

    // Attempts that never opened: refused upgrades, proxy refusals (through a proxy only), dial failures.
    await tx.unsafe(`
      insert into canary_sessions (${columns}, ended_at, error_code, error_message, proxy_reply)
      select md5('dash-failed-' || i)::uuid::text, ${pathColumns}, attempted, 5, case when o = 'dial_failed' then null else 30 end, null, null, null,
        o::outcome, case when o = 'upgrade_refused' then (array[403, 502, 503])[1 + i % 3] end,
        case when o = 'upgrade_refused' then ${headers} end, null,
        attempted + (50 + random() * 2000) * interval '1 millisecond',
        case when o = 'dial_failed' then (array['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND'])[1 + i % 3] end,
        case when o = 'dial_failed' then 'connect failed' end,
        case when o = 'proxy_refused' then case when x = 2 then 'SOCKS5 reply 5: connection refused' else '407 Proxy Authentication Required' end end
      from (select i, ${path('i')}, ${t0} + random() * interval '${SPAN_MS} milliseconds' as attempted,
                   case when i % 10 < 4 then 'dial_failed' when i % 10 < 7 or (i / ${3 * P}) % 4 = 0 then 'upgrade_refused' else 'proxy_refused' end as o
            from generate_series(1, ${FAILED}) as i) as l
      order by attempted`);

    // The built-in target's own view: the same instant for FIN, RST and close frames; a silent
    // death reaches it only when its own socket errors, minutes later.
    await tx.unsafe(`
      insert into target_session_views (session_id, reporter_id, target_name, peer_address, opened_at, ended_at, duration_ms,
        close_frame_received, close_code, end_kind, since_last_recv_ms, since_last_sent_ms, messages_in, messages_out, received_at)
      select id, null, target_name, egress_address, opened_at + interval '2 milliseconds',
        ended_at + case when end_kind = 'pong_timeout' then interval '120 seconds' else interval '1 millisecond' end,
        duration_ms + case when end_kind = 'pong_timeout' then 120000 else 0 end,
        end_kind in ('close_frame', 'probe_closed'), case when end_kind in ('close_frame', 'probe_closed') then close_code end,
        case when end_kind in ('close_frame', 'probe_closed') then 'close_frame' when end_kind = 'pong_timeout' then 'tcp_reset' else end_kind end,
        since_last_sent_ms, since_last_recv_ms, messages_out, messages_in, ended_at
      from canary_sessions where target_name = 'builtin' and ended_at is not null and end_kind is not null
      order by ended_at`);

    // RTT rollups: each minute, probe, target and proxy, one of 64 bucket templates (9
    // samples around a centre of 8-100 ms; a proxy adds two buckets, about 40 %).
    await tx.unsafe(`
      insert into rtt_minutes (minute, probe_id, target_name, proxy_name, count, sum_ms, min_ms, max_ms, buckets)
      with tpl as (
        select j, c,
          array(select case when abs(b - c) <= 2 then 3 - abs(b - c) else 0 end from generate_series(0, 71) as b order by b) as buckets,
          0.25 * power(2, c / 4.0) as mean_ms
        from (select j, 20 + j % 14 as c from generate_series(0, 63) as j) as cj
      ), m as (
        -- Minute by minute, as the rollup fills up (the first generate_series is the outer loop).
        select minute, p, t, x, (((extract(epoch from minute) / 60)::bigint + p * 7 + t * 3 + x) % 64)::int as j
        from generate_series(date_trunc('minute', ${t0}), ${t1} - interval '1 minute', interval '1 minute') as minute
             cross join lateral (select p, t, x from generate_series(0, ${P - 1}) as p, generate_series(0, 2) as t, generate_series(0, 3) as x) as ptx
      )
      select minute, (${ids})[p + 1], (${arr(TARGETS.map((t) => t.name))})[t + 1], (${arr(PROXIES.map((x) => x.name))})[x + 1],
        9, 9 * mean_ms, mean_ms * 0.7, mean_ms * 1.8, tpl.buckets
      from m join tpl using (j)`);
    for (const k of keys) await tx.unsafe(`alter table ${k.tab} add constraint "${k.name}" ${k.def}`);
    // pg_indexes gives a partitioned table's index as `ON ONLY`, which would build it on the
    // parent alone (invalid, and no partition indexed): build it on every partition.
    for (const ix of secondary) await tx.unsafe(ix.def.replace(/ ON ONLY /, ' ON '));
    // The replica role skipped the triggers that mark written hours for the sealed aggregates:
    // mark them as the migrations that made each aggregate mark the rows they found (the
    // bench seals them after), by running those migrations' closing statements. The
    // quarter-hour rollup, kept at ingest, is filled by the backfill migration's own.
    for (const statement of markingStatements()) await tx.unsafe(statement);
    for (const statement of rollupBackfillStatements()) await tx.unsafe(statement);

    const [n] = await tx.unsafe<Record<string, string>[]>(`
      select (select count(*) from canary_sessions) as sessions,
             (select count(*) from canary_sessions where end_kind is not null) as ended,
             (select count(*) from canary_sessions where end_kind is not null and end_kind <> 'probe_closed') as drops,
             (select count(*) from canary_sessions where ended_at is null and outcome = 'opened') as live,
             (select count(*) from canary_sessions where outcome <> 'opened') as failed,
             (select count(*) from target_session_views) as views,
             (select count(*) from rtt_minutes) as rtt,
             (select count(*) from probes) as probes`);
    const [busy] = await tx.unsafe<{ target: string; proxy: string; n: string }[]>(`
      select target_name as target, proxy_name as proxy, count(*) as n from canary_sessions
      where attempted_at >= ${t1} - interval '24 hours' group by 1, 2 order by 3 desc, 1, 2 limit 1`);
    return {
      sessions: Number(n!.sessions),
      ended: Number(n!.ended),
      drops: Number(n!.drops),
      live: Number(n!.live),
      failed: Number(n!.failed),
      targetViews: Number(n!.views),
      rttMinutes: Number(n!.rtt),
      probes: Number(n!.probes),
      busiestPath: { target: busy!.target, proxy: busy!.proxy, sessions24h: Number(busy!.n) },
    };
  });
}
