CREATE TABLE "ending_packs" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"paths" jsonb NOT NULL,
	"cells" "bytea" NOT NULL,
	CONSTRAINT "ending_packs_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
-- The sealed hours of ending_bins, packed as db/queries/ending-bins.ts hourPack packs the
-- rows of an hour (lib/rollups/ending-pack.ts has the layout): nothing sealed is lost,
-- including hours whose raw sessions retention has dropped already.
INSERT INTO "ending_packs" ("bucket", "probe_id", "paths", "cells")
SELECT bucket, probe_id,
       jsonb_agg(jsonb_build_array(target_name, proxy_name, profile, profile_kind, gap_ms, max_age, n) ORDER BY target_name, proxy_name, profile, profile_kind, gap_ms),
       string_agg(cells, ''::bytea ORDER BY target_name, proxy_name, profile, profile_kind, gap_ms)
FROM (SELECT bucket, probe_id, target_name, proxy_name, profile, profile_kind, gap_ms, max(max_age_ms) AS max_age, count(*) AS n,
             string_agg(int4send((CASE WHEN bin IS NULL THEN -2147483648 ELSE greatest(least(bin, 2147483647), -2147483647) END)::int4) || int4send(sessions) || int4send(drops) || int4send(idle_drops), ''::bytea ORDER BY bin NULLS FIRST) AS cells
      FROM "ending_bins"
      GROUP BY bucket, probe_id, target_name, proxy_name, profile, profile_kind, gap_ms) AS paths
GROUP BY bucket, probe_id;
--> statement-breakpoint
DROP TABLE "ending_bins" CASCADE;--> statement-breakpoint
ALTER TABLE "ending_packs" ADD CONSTRAINT "ending_packs_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;