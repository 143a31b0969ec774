-- canary_sessions becomes partitioned by day of attempted_at (lib/retention/partitions.ts):
-- retention then drops a whole day instead of deleting rows. The key gains attempted_at, as
-- a partitioned table's unique keys must hold its partition key; every session event
-- carries it. The rows are copied into the new table and the old one dropped; indexes,
-- the foreign key and the aggregates' triggers (0011, 0012) are made anew on the parent,
-- which makes the indexes on every partition.
ALTER TABLE "canary_sessions" RENAME TO "canary_sessions_unpartitioned";
--> statement-breakpoint
CREATE TABLE "canary_sessions" (LIKE "canary_sessions_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("attempted_at");
--> statement-breakpoint
-- What no day holds (a probe whose clock is far off, rows older than 400 days).
CREATE TABLE "canary_sessions_default" PARTITION OF "canary_sessions" DEFAULT;
--> statement-breakpoint
-- One partition per UTC day from the oldest row (400 days back at most) to 3 days ahead;
-- the servers' retention pass keeps creating them ahead from here on.
DO $$
DECLARE
  first date;
  d date;
BEGIN
  SELECT greatest(coalesce(min("attempted_at"), now()), now() - interval '400 days') AT TIME ZONE 'UTC' INTO first FROM "canary_sessions_unpartitioned";
  first := least(first, ((now() AT TIME ZONE 'UTC')::date - 1));
  d := first;
  WHILE d <= (now() AT TIME ZONE 'UTC')::date + 3 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "canary_sessions" FOR VALUES FROM (%L) TO (%L)',
      'canary_sessions_p' || to_char(d, 'YYYYMMDD'), d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
    d := d + 1;
  END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO "canary_sessions" SELECT * FROM "canary_sessions_unpartitioned";
--> statement-breakpoint
DROP TABLE "canary_sessions_unpartitioned";
--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD CONSTRAINT "canary_sessions_id_attempted_at_pk" PRIMARY KEY ("id", "attempted_at");
--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD CONSTRAINT "canary_sessions_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "canary_sessions_attempted_at_idx" ON "canary_sessions" USING btree ("attempted_at","target_name","proxy_name","probe_id","profile","outcome","http_status","end_kind","duration_ms");
--> statement-breakpoint
CREATE INDEX "canary_sessions_ended_at_idx" ON "canary_sessions" USING btree ("ended_at") WHERE "ended_at" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "canary_sessions_endings_idx" ON "canary_sessions" USING btree ("ended_at","end_kind","duration_ms","since_last_recv_ms","since_last_sent_ms","close_code","probe_id","target_name","proxy_name","profile","profile_kind","gap_ms","id") WHERE "end_kind" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "canary_sessions_failed_attempted_idx" ON "canary_sessions" USING btree ("attempted_at") WHERE "outcome" in ('upgrade_refused', 'proxy_refused', 'dial_failed');
--> statement-breakpoint
CREATE INDEX "canary_sessions_ladder_ended_idx" ON "canary_sessions" USING btree ("ended_at","probe_id","target_name","proxy_name","gap_ms","end_kind","close_reason") WHERE "profile_kind" = 'ladder';
--> statement-breakpoint
CREATE INDEX "canary_sessions_live_idx" ON "canary_sessions" USING btree ("opened_at") WHERE "ended_at" IS NULL AND "outcome" = 'opened';
--> statement-breakpoint
CREATE INDEX "canary_sessions_opened_at_idx" ON "canary_sessions" USING btree ("opened_at","probe_id","proxy_name","egress_address","end_kind","ended_at","target_name","profile") WHERE "opened_at" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "canary_sessions_path_attempted_idx" ON "canary_sessions" USING btree ("target_name","proxy_name","attempted_at");
--> statement-breakpoint
CREATE INDEX "canary_sessions_path_ended_idx" ON "canary_sessions" USING btree ("target_name","proxy_name","ended_at") WHERE "ended_at" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "canary_sessions_path_profile_idx" ON "canary_sessions" USING btree ("target_name","proxy_name","profile");
--> statement-breakpoint
CREATE INDEX "canary_sessions_probe_attempted_idx" ON "canary_sessions" USING btree ("probe_id","attempted_at");
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_mark_inserted" AFTER INSERT ON "canary_sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "ending_bins_mark_inserted"();
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_mark_updated" AFTER UPDATE ON "canary_sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "ending_bins_mark_updated"();
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_report_bins_inserted" AFTER INSERT ON "canary_sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "report_bins_mark_inserted"();
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_report_bins_updated" AFTER UPDATE ON "canary_sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "report_bins_mark_updated"();
--> statement-breakpoint
CREATE TABLE "raw_retention" (
	"only" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"raw_since" timestamp with time zone NOT NULL
);
