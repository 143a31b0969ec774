CREATE TABLE "target_session_views" (
	"session_id" text PRIMARY KEY NOT NULL,
	"reporter_id" integer,
	"target_name" text NOT NULL,
	"peer_address" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"duration_ms" double precision NOT NULL,
	"close_frame_received" boolean NOT NULL,
	"close_code" smallint,
	"close_reason" text,
	"end_kind" "end_kind" NOT NULL,
	"since_last_recv_ms" double precision NOT NULL,
	"since_last_sent_ms" double precision NOT NULL,
	"messages_in" bigint NOT NULL,
	"messages_out" bigint NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "target_session_views" ADD CONSTRAINT "target_session_views_reporter_id_probes_id_fk" FOREIGN KEY ("reporter_id") REFERENCES "public"."probes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "target_session_views_ended_at_idx" ON "target_session_views" USING btree ("ended_at");