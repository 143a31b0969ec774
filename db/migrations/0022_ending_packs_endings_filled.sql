-- The stored packs' drops by path, end kind and close code, from end_rollup (quarter-hours
-- of ended_at, kept at ingest; the session rows of old hours may be past raw retention).
-- end_rollup keys paths by target, proxy and profile only: each such triple is written
-- under the lowest dictionary id that has it, which the drops page's filters (by target,
-- proxy, profile) cannot tell apart from its exact path. The kind is its index in the
-- contract's endKinds (lib/contracts/ingest.ts).
UPDATE "ending_packs" AS ep SET "endings" = coalesce((
  SELECT string_agg(int4send(x.id) || int2send(x.k) || int2send(x.code) || int4send(x.n), ''::bytea ORDER BY x.id, x.k, x.code)
  FROM (
    SELECT (SELECT min(d."id") FROM "ending_pack_paths" AS d
             WHERE d."target_name" = r."target_name" AND d."proxy_name" = r."proxy_name" AND d."profile" = r."profile") AS id,
           (CASE r."end_kind" WHEN 'close_frame' THEN 0 WHEN 'tcp_fin' THEN 1 WHEN 'tcp_reset' THEN 2
                              WHEN 'pong_timeout' THEN 3 WHEN 'probe_closed' THEN 4 WHEN 'error' THEN 5 END)::int2 AS k,
           r."close_code"::int2 AS code,
           sum(r."sessions")::int4 AS n
    FROM "end_rollup" AS r
    WHERE r."probe_id" = ep."probe_id" AND r."bucket" >= ep."bucket" AND r."bucket" < ep."bucket" + interval '1 hour'
      AND r."end_kind" <> 'probe_closed'
    GROUP BY r."target_name", r."proxy_name", r."profile", r."end_kind", r."close_code"
  ) AS x
  WHERE x.n <> 0 AND x.id IS NOT NULL
), ''::bytea);
