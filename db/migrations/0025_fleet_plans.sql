CREATE TABLE "probe_plan_status" (
	"probe_id" integer PRIMARY KEY NOT NULL,
	"fetched_at" timestamp with time zone,
	"served_version" text,
	"served_revision" integer,
	"reported_at" timestamp with time zone,
	"report" jsonb
);
--> statement-breakpoint
CREATE TABLE "plan_paths" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_id" integer NOT NULL,
	"proxy_id" integer,
	"profile" text NOT NULL,
	"canaries" integer DEFAULT 1 NOT NULL,
	"probes" text DEFAULT '*' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_paths_key" UNIQUE NULLS NOT DISTINCT("target_id","proxy_id","profile","probes"),
	CONSTRAINT "plan_paths_canaries_check" CHECK ("plan_paths"."canaries" between 1 and 1000)
);
--> statement-breakpoint
CREATE TABLE "plan_profiles" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_profiles_name_unique" UNIQUE("name"),
	CONSTRAINT "plan_profiles_kind_check" CHECK (kind in ('idle', 'heartbeat', 'echo', 'ladder'))
);
--> statement-breakpoint
CREATE TABLE "plan_proxies" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_proxies_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "plan_revision" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"revision" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_revision_single_row" CHECK ("plan_revision"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "plan_targets" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"subprotocols" text[] DEFAULT '{}'::text[] NOT NULL,
	"origin" text,
	"tls_verify" boolean DEFAULT true NOT NULL,
	"tls_servername" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_targets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "probe_plan_status" ADD CONSTRAINT "probe_plan_status_probe_id_probes_id_fk" FOREIGN KEY ("probe_id") REFERENCES "public"."probes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_paths" ADD CONSTRAINT "plan_paths_target_id_plan_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."plan_targets"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_paths" ADD CONSTRAINT "plan_paths_proxy_id_plan_proxies_id_fk" FOREIGN KEY ("proxy_id") REFERENCES "public"."plan_proxies"("id") ON DELETE restrict ON UPDATE no action;