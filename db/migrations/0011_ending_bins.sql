CREATE TABLE "ending_bins" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"profile_kind" "profile_kind",
	"gap_ms" double precision,
	"bin" bigint,
	"sessions" integer NOT NULL,
	"drops" integer NOT NULL,
	"idle_drops" integer NOT NULL,
	"max_age_ms" double precision
);
--> statement-breakpoint
CREATE TABLE "ending_bins_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "ending_bins_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
ALTER TABLE "ending_bins" ADD CONSTRAINT "ending_bins_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ending_bins_bucket_idx" ON "ending_bins" USING btree ("bucket","probe_id");--> statement-breakpoint
-- Every write to canary_sessions marks the (hour of ended_at, probe) pairs it touched, in
-- its own transaction, so that a read never takes a stale aggregate for a sealed hour
-- (lib/rollups/ending-buckets.ts). Statement triggers with transition tables: one insert
-- of a few distinct pairs per batch, whatever its size. The version tells the sealer
-- whether a pair was written again while it sealed.
CREATE FUNCTION "ending_bins_mark_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ending_bins_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "ending_bins_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "ending_bins_mark_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "ending_bins_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "ended_at" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "ending_bins_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_mark_inserted" AFTER INSERT ON "canary_sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "ending_bins_mark_inserted"();
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_mark_updated" AFTER UPDATE ON "canary_sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "ending_bins_mark_updated"();
--> statement-breakpoint
-- The rows already there: every hour of them is dirty until the servers' sealer has read it.
INSERT INTO "ending_bins_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "ended_at" IS NOT NULL;
