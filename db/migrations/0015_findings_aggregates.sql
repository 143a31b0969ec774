CREATE TABLE "finding_drop_minutes" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"drops" integer NOT NULL,
	"minutes" bigint NOT NULL,
	"on_minute" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finding_drop_minutes_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "finding_drop_minutes_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "finding_egress_near" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"proxy_name" text NOT NULL,
	"target_name" text NOT NULL,
	"profile" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"drops" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finding_egress_near_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "finding_egress_near_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "finding_egress_runs" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"proxy_name" text NOT NULL,
	"run_start" timestamp with time zone NOT NULL,
	"egress" text NOT NULL,
	"target_name" text,
	"profile" text,
	"openings" integer NOT NULL,
	"drops" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finding_egress_runs_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "finding_egress_runs_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "finding_ladder_rungs" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"gap_ms" double precision NOT NULL,
	"survived" integer NOT NULL,
	"died" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finding_ladder_rungs_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "finding_ladder_rungs_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "finding_refusals" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"outcome" "outcome" NOT NULL,
	"reason" text NOT NULL,
	"server" text,
	"attempts" integer NOT NULL,
	"latest" text
);
--> statement-breakpoint
CREATE TABLE "finding_refusals_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "finding_refusals_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "finding_silent_deaths" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"quiet_ms" double precision,
	"deaths" integer NOT NULL,
	"never_answered" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "finding_silent_deaths_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "finding_silent_deaths_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "rtt_hours" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"count" bigint NOT NULL,
	"sum_ms" double precision NOT NULL,
	"minute_counts" integer[] NOT NULL,
	"minute_sums" double precision[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rtt_hours_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "rtt_hours_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
ALTER TABLE "finding_drop_minutes" ADD CONSTRAINT "finding_drop_minutes_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_egress_near" ADD CONSTRAINT "finding_egress_near_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_egress_runs" ADD CONSTRAINT "finding_egress_runs_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_ladder_rungs" ADD CONSTRAINT "finding_ladder_rungs_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_refusals" ADD CONSTRAINT "finding_refusals_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "finding_silent_deaths" ADD CONSTRAINT "finding_silent_deaths_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rtt_hours" ADD CONSTRAINT "rtt_hours_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "finding_drop_minutes_bucket_idx" ON "finding_drop_minutes" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "finding_egress_near_bucket_idx" ON "finding_egress_near" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "finding_egress_near_opened_at_idx" ON "finding_egress_near" USING btree ("opened_at");--> statement-breakpoint
CREATE INDEX "finding_egress_runs_bucket_idx" ON "finding_egress_runs" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "finding_ladder_rungs_bucket_idx" ON "finding_ladder_rungs" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "finding_refusals_bucket_idx" ON "finding_refusals" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "finding_silent_deaths_bucket_idx" ON "finding_silent_deaths" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "rtt_hours_bucket_idx" ON "rtt_hours" USING btree ("bucket","probe_id");--> statement-breakpoint
-- The findings' aggregates are marked as 0012 marks the report aggregates: the same two
-- functions, now also inserting into their dirty tables, each only for the rows its
-- aggregate holds (old and new rows both, so that a row leaving one is marked too). An
-- opening marks for finding_egress_near the hours of ended_at within 5 s of it: a drop
-- there may be near it.
CREATE OR REPLACE FUNCTION "report_bins_mark_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "attempt_lifetimes_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows"
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "attempt_lifetimes_dirty"."version" + 1;
  INSERT INTO "duration_bins_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "duration_bins_dirty"."version" + 1;
  INSERT INTO "finding_refusals_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "outcome" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_refusals_dirty"."version" + 1;
  INSERT INTO "finding_silent_deaths_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" = 'pong_timeout'
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_silent_deaths_dirty"."version" + 1;
  INSERT INTO "finding_ladder_rungs_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "profile_kind" = 'ladder'
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_ladder_rungs_dirty"."version" + 1;
  INSERT INTO "finding_drop_minutes_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed'
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_drop_minutes_dirty"."version" + 1;
  INSERT INTO "finding_egress_runs_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "opened_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_egress_runs_dirty"."version" + 1;
  INSERT INTO "finding_egress_near_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed' AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at" - interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at" + interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_egress_near_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "report_bins_mark_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "attempt_lifetimes_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows"
    UNION
    SELECT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows"
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "attempt_lifetimes_dirty"."version" + 1;
  INSERT INTO "duration_bins_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "ended_at" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "duration_bins_dirty"."version" + 1;
  INSERT INTO "finding_refusals_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "outcome" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "outcome" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_refusals_dirty"."version" + 1;
  INSERT INTO "finding_silent_deaths_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" = 'pong_timeout'
    UNION
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" = 'pong_timeout'
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_silent_deaths_dirty"."version" + 1;
  INSERT INTO "finding_ladder_rungs_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "profile_kind" = 'ladder'
    UNION
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "ended_at" IS NOT NULL AND "profile_kind" = 'ladder'
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_ladder_rungs_dirty"."version" + 1;
  INSERT INTO "finding_drop_minutes_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed'
    UNION
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed'
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_drop_minutes_dirty"."version" + 1;
  INSERT INTO "finding_egress_runs_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "opened_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_egress_runs_dirty"."version" + 1;
  INSERT INTO "finding_egress_near_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed' AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed' AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at" - interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at" - interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at" + interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
    UNION
    SELECT date_bin('1 hour', "opened_at" + interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "finding_egress_near_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- rtt_minutes is written by upserts (db/queries/ingest-merge.ts): new minutes fire the
-- insert trigger, added samples the update trigger.
CREATE FUNCTION "rtt_hours_mark_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "rtt_hours_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "minute", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows"
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "rtt_hours_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "rtt_hours_mark_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "rtt_hours_dirty" ("bucket", "probe_id")
    SELECT date_bin('1 hour', "minute", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows"
    UNION
    SELECT date_bin('1 hour', "minute", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "old_rows"
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "rtt_hours_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "rtt_minutes_hours_inserted" AFTER INSERT ON "rtt_minutes" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "rtt_hours_mark_inserted"();
--> statement-breakpoint
CREATE TRIGGER "rtt_minutes_hours_updated" AFTER UPDATE ON "rtt_minutes" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "rtt_hours_mark_updated"();
--> statement-breakpoint
-- The rows already there: every hour of them is dirty until the servers' sealer has read it.
INSERT INTO "finding_refusals_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "outcome" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "finding_silent_deaths_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "ended_at" IS NOT NULL AND "end_kind" = 'pong_timeout';
--> statement-breakpoint
INSERT INTO "finding_ladder_rungs_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "ended_at" IS NOT NULL AND "profile_kind" = 'ladder';
--> statement-breakpoint
INSERT INTO "finding_drop_minutes_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed';
--> statement-breakpoint
INSERT INTO "finding_egress_runs_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "opened_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "finding_egress_near_dirty" ("bucket", "probe_id")
  SELECT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "ended_at" IS NOT NULL AND "end_kind" <> 'probe_closed' AND "egress_address" IS NOT NULL
  UNION
  SELECT date_bin('1 hour', "opened_at" - interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL
  UNION
  SELECT date_bin('1 hour', "opened_at" + interval '5 seconds', timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "opened_at" IS NOT NULL AND "egress_address" IS NOT NULL;
--> statement-breakpoint
INSERT INTO "rtt_hours_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "minute", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "rtt_minutes";
