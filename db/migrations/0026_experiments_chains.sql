ALTER TYPE "public"."profile_kind" ADD VALUE 'bisect';--> statement-breakpoint
ALTER TYPE "public"."profile_kind" ADD VALUE 'keepalive';--> statement-breakpoint
CREATE TABLE "plan_experiments" (
	"id" serial PRIMARY KEY NOT NULL,
	"probe_id" integer NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"kind" text NOT NULL,
	"profile" jsonb NOT NULL,
	"purpose" text NOT NULL,
	"signature" jsonb NOT NULL,
	"canaries" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"concluded_at" timestamp with time zone,
	CONSTRAINT "plan_experiments_key" UNIQUE("probe_id","target_name","proxy_name","kind"),
	CONSTRAINT "plan_experiments_kind_check" CHECK ("plan_experiments"."kind" in ('verify', 'reconnect', 'keepalive')),
	CONSTRAINT "plan_experiments_canaries_check" CHECK ("plan_experiments"."canaries" between 1 and 10)
);
--> statement-breakpoint
CREATE TABLE "plan_chains" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"hops" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_chains_name_unique" UNIQUE("name"),
	CONSTRAINT "plan_chains_hops_check" CHECK (cardinality("plan_chains"."hops") between 2 and 10)
);
--> statement-breakpoint
ALTER TABLE "plan_profiles" DROP CONSTRAINT "plan_profiles_kind_check";--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD COLUMN "keepalive_ms" double precision;--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD COLUMN "interval_ms" double precision;--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD COLUMN "hold_ms" double precision;--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD COLUMN "echo" jsonb;--> statement-breakpoint
ALTER TABLE "plan_experiments" ADD CONSTRAINT "plan_experiments_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "canary_sessions_experiments_attempted_idx" ON "canary_sessions" USING btree ("attempted_at") WHERE ("canary_sessions"."gap_ms" is not null or "canary_sessions"."hold_ms" is not null or "canary_sessions"."echo" is not null);--> statement-breakpoint
CREATE INDEX "canary_sessions_experiments_ended_idx" ON "canary_sessions" USING btree ("ended_at") WHERE "canary_sessions"."ended_at" is not null and ("canary_sessions"."gap_ms" is not null or "canary_sessions"."hold_ms" is not null or "canary_sessions"."echo" is not null);--> statement-breakpoint
ALTER TABLE "plan_profiles" ADD CONSTRAINT "plan_profiles_kind_check" CHECK (kind in ('idle', 'heartbeat', 'echo', 'ladder', 'bisect', 'keepalive'));