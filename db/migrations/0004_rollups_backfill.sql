-- Fill the quarter-hour rollups from the sessions stored before they existed. Ingest keeps them
-- from here on (db/queries/rollups.ts); the key expressions below are the same as there:
-- a test runs this file against ingested data and compares (test/db/rollups.test.ts).
INSERT INTO "attempt_rollup" ("bucket", "probe_id", "target_name", "proxy_name", "profile", "outcome", "http_status", "error_code", "proxy_reply", "attempts")
SELECT to_timestamp(floor(extract(epoch from "attempted_at") / 900) * 900), "probe_id", "target_name", "proxy_name", "profile", "outcome",
       coalesce("http_status", 0),
       CASE WHEN "outcome" = 'opened' THEN '' ELSE coalesce("error_code", '') END,
       coalesce(left("proxy_reply", 200), ''),
       count(*)
FROM "canary_sessions"
WHERE "outcome" IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
--> statement-breakpoint
INSERT INTO "end_rollup" ("bucket", "probe_id", "target_name", "proxy_name", "profile", "end_kind", "close_code", "sessions")
SELECT to_timestamp(floor(extract(epoch from "ended_at") / 900) * 900), "probe_id", "target_name", "proxy_name", "profile", "end_kind",
       coalesce("close_code", 0), count(*)
FROM "canary_sessions"
WHERE "end_kind" IS NOT NULL AND "ended_at" IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7;
