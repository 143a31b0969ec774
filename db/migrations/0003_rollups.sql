CREATE TABLE "attempt_rollup" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"outcome" "outcome" NOT NULL,
	"http_status" smallint NOT NULL,
	"error_code" text NOT NULL,
	"proxy_reply" text NOT NULL,
	"attempts" integer NOT NULL,
	CONSTRAINT "attempt_rollup_bucket_probe_id_target_name_proxy_name_profile_outcome_http_status_error_code_proxy_reply_pk" PRIMARY KEY("bucket","probe_id","target_name","proxy_name","profile","outcome","http_status","error_code","proxy_reply")
);
--> statement-breakpoint
CREATE TABLE "end_rollup" (
	"bucket" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"end_kind" "end_kind" NOT NULL,
	"close_code" smallint NOT NULL,
	"sessions" integer NOT NULL,
	CONSTRAINT "end_rollup_bucket_probe_id_target_name_proxy_name_profile_end_kind_close_code_pk" PRIMARY KEY("bucket","probe_id","target_name","proxy_name","profile","end_kind","close_code")
);
--> statement-breakpoint
ALTER TABLE "attempt_rollup" ADD CONSTRAINT "attempt_rollup_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "end_rollup" ADD CONSTRAINT "end_rollup_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "canary_sessions_endings_idx" ON "canary_sessions" USING btree ("ended_at","end_kind","duration_ms","since_last_recv_ms","since_last_sent_ms","close_code","probe_id","target_name","proxy_name","profile","profile_kind","gap_ms") WHERE "canary_sessions"."end_kind" is not null;--> statement-breakpoint
CREATE INDEX "canary_sessions_path_profile_idx" ON "canary_sessions" USING btree ("target_name","proxy_name","profile");--> statement-breakpoint
CREATE INDEX "canary_sessions_path_ended_idx" ON "canary_sessions" USING btree ("target_name","proxy_name","ended_at") WHERE "canary_sessions"."ended_at" is not null;--> statement-breakpoint
CREATE INDEX "canary_sessions_opened_at_idx" ON "canary_sessions" USING btree ("opened_at") WHERE "canary_sessions"."opened_at" is not null;