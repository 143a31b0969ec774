CREATE TYPE "public"."end_kind" AS ENUM('close_frame', 'tcp_fin', 'tcp_reset', 'pong_timeout', 'probe_closed', 'error');--> statement-breakpoint
CREATE TYPE "public"."outcome" AS ENUM('opened', 'upgrade_refused', 'proxy_refused', 'dial_failed');--> statement-breakpoint
CREATE TYPE "public"."proxy_kind" AS ENUM('direct', 'http', 'https', 'socks4', 'socks5');--> statement-breakpoint
CREATE TABLE "canary_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"target_url" text NOT NULL,
	"proxy_name" text NOT NULL,
	"proxy_kind" "proxy_kind" NOT NULL,
	"proxy_url" text,
	"profile" text NOT NULL,
	"attempted_at" timestamp with time zone NOT NULL,
	"dns_ms" double precision,
	"tcp_ms" double precision,
	"proxy_ms" double precision,
	"tls_ms" double precision,
	"upgrade_ms" double precision,
	"outcome" "outcome",
	"http_status" smallint,
	"proxy_reply" text,
	"error_code" text,
	"error_message" text,
	"response_headers" jsonb,
	"egress_address" text,
	"opened_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"duration_ms" double precision,
	"since_last_recv_ms" double precision,
	"since_last_sent_ms" double precision,
	"close_code" smallint,
	"close_reason" text,
	"end_kind" "end_kind",
	"bytes_in" bigint,
	"bytes_out" bigint,
	"messages_in" bigint,
	"messages_out" bigint,
	"rtt_count" integer,
	"rtt_min_ms" double precision,
	"rtt_median_ms" double precision,
	"rtt_max_ms" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ingested_events" (
	"probe_id" integer NOT NULL,
	"event_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ingested_events_probe_id_event_id_pk" PRIMARY KEY("probe_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "probes" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"token_hash" text NOT NULL,
	"agent_version" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"first_seen_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"spool_depth" integer,
	"canaries_open" integer,
	"canaries_connecting" integer,
	"canaries_backoff" integer
);
--> statement-breakpoint
CREATE TABLE "rtt_minutes" (
	"minute" timestamp with time zone NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"count" integer NOT NULL,
	"sum_ms" double precision NOT NULL,
	"min_ms" double precision NOT NULL,
	"max_ms" double precision NOT NULL,
	"buckets" integer[] NOT NULL,
	CONSTRAINT "rtt_minutes_minute_probe_id_target_name_proxy_name_pk" PRIMARY KEY("minute","probe_id","target_name","proxy_name")
);
--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD CONSTRAINT "canary_sessions_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ingested_events" ADD CONSTRAINT "ingested_events_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rtt_minutes" ADD CONSTRAINT "rtt_minutes_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "canary_sessions_attempted_at_idx" ON "canary_sessions" USING btree ("attempted_at");--> statement-breakpoint
CREATE INDEX "canary_sessions_ended_at_idx" ON "canary_sessions" USING btree ("ended_at") WHERE "canary_sessions"."ended_at" is not null;--> statement-breakpoint
CREATE INDEX "canary_sessions_path_attempted_idx" ON "canary_sessions" USING btree ("target_name","proxy_name","attempted_at");--> statement-breakpoint
CREATE INDEX "canary_sessions_probe_attempted_idx" ON "canary_sessions" USING btree ("probe_id","attempted_at");--> statement-breakpoint
CREATE INDEX "canary_sessions_live_idx" ON "canary_sessions" USING btree ("opened_at") WHERE "canary_sessions"."ended_at" is null and "canary_sessions"."outcome" = 'opened';--> statement-breakpoint
CREATE INDEX "ingested_events_received_at_idx" ON "ingested_events" USING btree ("received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "probes_name_key" ON "probes" USING btree ("name");--> statement-breakpoint
CREATE INDEX "rtt_minutes_path_minute_idx" ON "rtt_minutes" USING btree ("target_name","proxy_name","minute");