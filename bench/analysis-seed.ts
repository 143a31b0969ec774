/**
 * The analysis bench's data, generated inside PostgreSQL (`insert ... select` over
 * generate_series, seeded): ended sessions over one day on a matrix of 4 probes x 3
 * targets x 4 proxies x 2 profiles, most of them drops at random exponential ages, with
 * three layers planted on parts of the matrix, probe_closed survivors, plus canaries still
 * open, failed attempts, and the built-in target's own view of its sessions.
 *
 * A session on a path that a planted layer cuts dies at the layer's N (with 50 ms of
 * jitter) if it would have lived longer; the smallest N on the path wins. PLANTED lists
 * the layers and what the analysis should conclude about each.
 */
import type { Sql } from 'postgres';

export const PROBES = [
  { name: 'edge-fra-1', labels: { region: 'eu' } },
  { name: 'edge-nyc-1', labels: { region: 'us' } },
  { name: 'edge-sin-1', labels: { region: 'ap' } },
  { name: 'edge-gru-1', labels: { region: 'sa' } },
];
/** The fleet both seeds use (bench/dashboard-seed.ts too). */
export const TARGETS = [
  { name: 'api', url: 'wss://api.example.com/canary', server: 'nginx' },
  { name: 'chat', url: 'wss://chat.example.com/ws', server: 'envoy' },
  { name: 'builtin', url: 'wss://dropscope.example.com/canary', server: 'dropscope' },
];
export const PROXIES = [
  { name: 'direct', kind: 'direct', url: null },
  { name: 'corp-squid', kind: 'http', url: 'http://squid.corp.example:3128' },
  { name: 'mobile-de', kind: 'socks5', url: 'socks5://10.8.0.1:1080' },
  { name: 'office-haproxy', kind: 'https', url: 'https://egress.office.example:8443' },
] as const;

/** What the analysis should find: N, kind, and where. */
export const PLANTED = [
  { nS: 60, kind: 'idle', scope: 'proxy', value: 'corp-squid', what: 'idle canaries through corp-squid cut after 60 s of silence (FIN)' },
  { nS: 100, kind: 'lifetime', scope: 'target', value: 'chat', what: 'every canary to chat closed at 100 s of age (close frame 1001), talking or not' },
  { nS: 350, kind: 'idle', scope: 'probe', value: 'edge-sin-1', what: 'idle canaries from edge-sin-1 die silently after 350 s (pong_timeout)' },
] as const;

export interface SeedCounts {
  ended: number;
  live: number;
  failed: number;
  targetViews: number;
}

const DAY_MS = 86_400_000;
const lit = (s: string | null) => (s === null ? 'null' : `'${s.replace(/'/g, "''")}'`);
const arr = (xs: readonly (string | null)[]) => `array[${xs.map(lit).join(', ')}]::text[]`;

/**
 * Insert `ended` ended sessions with ended_at in [from, from + 24 h), then 2,000 live
 * canaries and 10,000 failed attempts, and target views for the built-in target. Returns
 * the counts. `probeIds` in PROBES order.
 */
export async function seed(sql: Sql, probeIds: readonly number[], from: Date, ended: number): Promise<SeedCounts> {
  const t0 = `'${from.toISOString()}'::timestamptz`;
  const ids = `array[${probeIds.join(', ')}]::int[]`;
  const path = (i: string) => `
      ${i} % 4 as p, (${i} / 4) % 3 as t, (${i} / 12) % 4 as x, (${i} / 48) % 2 as f`;
  const pathColumns = `
      (${ids})[p + 1], (${arr(TARGETS.map((t) => t.name))})[t + 1], (${arr(TARGETS.map((t) => t.url))})[t + 1],
      (${arr(PROXIES.map((x) => x.name))})[x + 1], ((${arr(PROXIES.map((x) => x.kind))})[x + 1])::proxy_kind, (${arr(PROXIES.map((x) => x.url))})[x + 1],
      case when f = 0 then 'idle' else 'heartbeat' end, (case when f = 0 then 'idle' else 'heartbeat' end)::profile_kind`;
  const headers = `jsonb_build_object('server', (${arr(TARGETS.map((t) => t.server))})[t + 1], 'x-dropscope-peer', '203.0.113.' || (p * 4 + x + 1), 'x-dropscope-target', (${arr(TARGETS.map((t) => t.name))})[t + 1])
      || case when x = 1 then '{"via": "1.1 squid.corp.example (squid/5.7)"}'::jsonb else '{}'::jsonb end`;
  const columns = `id, probe_id, target_name, target_url, proxy_name, proxy_kind, proxy_url, profile, profile_kind, attempted_at,
      dns_ms, tcp_ms, proxy_ms, tls_ms, upgrade_ms, outcome, http_status, response_headers, egress_address`;

  return sql.begin(async (tx) => {
    await tx.unsafe('select setseed(0.42)');
    await tx.unsafe(`
      insert into canary_sessions (${columns}, opened_at, ended_at, duration_ms, since_last_recv_ms, since_last_sent_ms,
        close_code, close_reason, end_kind, bytes_in, bytes_out, messages_in, messages_out, rtt_count, rtt_min_ms, rtt_median_ms, rtt_max_ms)
      with g as (
        select i, ${path('i')},
          random() as r_surv, random() as r_age, random() as r_end, random() as r_when, random() as r_talk, random() as r_j1, random() as r_j2
        from generate_series(1, ${ended}) as i
      ), c as (
        -- The smallest N of the planted layers that cut this path (least() skips nulls).
        select g.*, -ln(1 - r_age) * 900000 as exp_age,
          least(case when x = 1 and f = 0 then 60000 end, case when t = 1 then 100000 end, case when p = 2 and f = 0 then 350000 end) as cap
        from g
      ), d as (
        select c.*,
          case when r_surv < 0.03 then 'survivor'
               when cap is not null and exp_age >= cap then case cap when 60000 then 'squid' when 100000 then 'chat' else 'sin' end
               else 'background' end as fate,
          sqrt(-2 * ln(1 - r_j1)) * cos(2 * pi() * r_j2) * 50 as jitter
        from c
      ), e as (
        select d.*,
          case fate when 'survivor' then r_age * least(coalesce(cap, 3600000), 3600000) when 'background' then exp_age else cap + jitter end as age,
          case fate when 'survivor' then 'probe_closed' when 'squid' then 'tcp_fin' when 'chat' then 'close_frame' when 'sin' then 'pong_timeout'
               else case when r_end < 0.4 then 'tcp_reset' when r_end < 0.7 then 'tcp_fin' when r_end < 0.9 then 'close_frame' else 'error' end end as ek,
          ${t0} + r_when * interval '${DAY_MS} milliseconds' as ended
        from d
      ), h as (
        -- Silence before the end: an idle canary's is its age; a heartbeat canary pings every 25 s.
        select e.*,
          case when ek = 'pong_timeout' then age + 3000 else age end as duration,
          case when ek = 'pong_timeout' then 3000 when f = 0 then age else greatest(0, r_talk * least(age, 25000) - 20) end as recv,
          case when ek = 'pong_timeout' then 1000 when f = 0 then age else r_talk * least(age, 25000) end as sent
        from e
      )
      select md5('bench-' || i)::uuid::text, ${pathColumns},
        ended - (duration + 120) * interval '1 millisecond',
        3 + r_j1 * 10, 20 + r_j2 * 30, case when x = 0 then null else 15 + r_talk * 40 end, 40 + r_j1 * 20, 25 + r_j2 * 20,
        'opened', 101, ${headers}, '203.0.113.' || (p * 4 + x + 1),
        ended - duration * interval '1 millisecond', ended, duration, recv, sent,
        case when ek = 'close_frame' then case when fate = 'chat' then 1001 else 1011 end when ek = 'probe_closed' then 1001 else 1006 end,
        case when fate = 'chat' then 'max connection age' when ek = 'probe_closed' then 'probe stopping' end,
        ek::end_kind, 300 + case when f = 1 then floor(age / 25000) * 14 else 0 end, 400 + case when f = 1 then floor(age / 25000) * 22 else 0 end, 0, 0,
        case when f = 1 then floor(age / 25000) end, case when f = 1 and age >= 25000 then 15 + r_j1 * 5 end,
        case when f = 1 and age >= 25000 then 22 + r_j2 * 5 end, case when f = 1 and age >= 25000 then 40 + r_talk * 200 end
      from h`);
    // Canaries open at the end of the day, and attempts that never opened.
    await tx.unsafe(`
      insert into canary_sessions (${columns}, opened_at)
      select 'live-' || i, ${pathColumns}, opened - interval '120 milliseconds', 5, 30, null, 50, 30, 'opened', 101, ${headers}, null, opened
      from (select i, ${path('i')}, ${t0} + interval '${DAY_MS} milliseconds' - random() * interval '1 hour' as opened from generate_series(1, 2000) as i) as l`);
    await tx.unsafe(`
      insert into canary_sessions (${columns}, error_code, error_message)
      select 'failed-' || i, ${pathColumns}, ${t0} + random() * interval '${DAY_MS} milliseconds', 5, null, null, null, null, 'dial_failed', null, null, null,
        'ECONNREFUSED', 'connect ECONNREFUSED'
      from (select i, ${path('i')} from generate_series(1, 10000) as i) as l`);
    // The built-in target reports its own view: the same instant for FIN, RST and close frames;
    // a silent death reaches it only when its own socket errors, minutes later.
    await tx.unsafe(`
      insert into target_session_views (session_id, reporter_id, target_name, peer_address, opened_at, ended_at, duration_ms,
        close_frame_received, close_code, end_kind, since_last_recv_ms, since_last_sent_ms, messages_in, messages_out)
      select id, null, target_name, egress_address, opened_at + interval '2 milliseconds',
        ended_at + case when end_kind = 'pong_timeout' then interval '120 seconds' else interval '1 millisecond' end,
        duration_ms + case when end_kind = 'pong_timeout' then 120000 else 0 end,
        end_kind in ('close_frame', 'probe_closed'), case when end_kind in ('close_frame', 'probe_closed') then close_code end,
        case when end_kind in ('close_frame', 'probe_closed') then 'close_frame' when end_kind = 'pong_timeout' then 'tcp_reset' else end_kind end,
        since_last_sent_ms, since_last_recv_ms, 0, 0
      from canary_sessions where target_name = 'builtin' and ended_at is not null`);
    const [n] = await tx.unsafe<{ ended: string; live: string; failed: string; views: string }[]>(`
      select (select count(*) from canary_sessions where ended_at is not null) as ended,
             (select count(*) from canary_sessions where ended_at is null and outcome = 'opened') as live,
             (select count(*) from canary_sessions where outcome = 'dial_failed') as failed,
             (select count(*) from target_session_views) as views`);
    return { ended: Number(n!.ended), live: Number(n!.live), failed: Number(n!.failed), targetViews: Number(n!.views) };
  });
}
