CREATE TABLE "attempt_lifetimes" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"bin" integer,
	"sessions" integer NOT NULL,
	"attempts" integer NOT NULL,
	"opened" integer NOT NULL,
	"ended" integer NOT NULL,
	"drops" integer NOT NULL,
	"last_attempted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attempt_lifetimes_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "attempt_lifetimes_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
CREATE TABLE "duration_bins" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"width_ms" integer NOT NULL,
	"bin" integer NOT NULL,
	"sessions" integer NOT NULL,
	"drops" integer NOT NULL,
	"max_ms" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "duration_bins_dirty" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "duration_bins_dirty_bucket_probe_id_pk" PRIMARY KEY("bucket","probe_id")
);
--> statement-breakpoint
ALTER TABLE "attempt_lifetimes" ADD CONSTRAINT "attempt_lifetimes_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duration_bins" ADD CONSTRAINT "duration_bins_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "attempt_lifetimes_bucket_idx" ON "attempt_lifetimes" USING btree ("bucket","probe_id");--> statement-breakpoint
CREATE INDEX "duration_bins_bucket_idx" ON "duration_bins" USING btree ("bucket","width_ms");--> statement-breakpoint
-- Every write to canary_sessions marks, in its own transaction, the (hour of attempted_at,
-- probe) pairs it touched for attempt_lifetimes and the (hour of ended_at, probe) pairs for
-- duration_bins, as 0011 does for ending_bins: a read never takes a stale aggregate for a
-- sealed hour. A session's end arrives after its hour of attempt closed: it marks that hour
-- again, and the sealer seals it again.
CREATE FUNCTION "report_bins_mark_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "attempt_lifetimes_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows"
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "attempt_lifetimes_dirty"."version" + 1;
  INSERT INTO "duration_bins_dirty" ("bucket", "probe_id")
    SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "new_rows" WHERE "ended_at" IS NOT NULL
  ON CONFLICT ("bucket", "probe_id") DO UPDATE SET "version" = "duration_bins_dirty"."version" + 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "report_bins_mark_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
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
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_report_bins_inserted" AFTER INSERT ON "canary_sessions" REFERENCING NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "report_bins_mark_inserted"();
--> statement-breakpoint
CREATE TRIGGER "canary_sessions_report_bins_updated" AFTER UPDATE ON "canary_sessions" REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows" FOR EACH STATEMENT EXECUTE FUNCTION "report_bins_mark_updated"();
--> statement-breakpoint
-- The rows already there: every hour of them is dirty until the servers' sealer has read it.
INSERT INTO "attempt_lifetimes_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "attempted_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions";
--> statement-breakpoint
INSERT INTO "duration_bins_dirty" ("bucket", "probe_id")
  SELECT DISTINCT date_bin('1 hour', "ended_at", timestamptz '2000-01-01 00:00:00+00'), "probe_id" FROM "canary_sessions" WHERE "ended_at" IS NOT NULL;
