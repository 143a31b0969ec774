CREATE TYPE "public"."alert_kind" AS ENUM('drop_rate', 'upgrade_ratio', 'signature', 'silent_deaths', 'rtt_p95', 'probe_offline');--> statement-breakpoint
CREATE TYPE "public"."alert_severity" AS ENUM('critical', 'warning', 'info');--> statement-breakpoint
CREATE TYPE "public"."alert_status" AS ENUM('inactive', 'pending', 'firing', 'resolved');--> statement-breakpoint
CREATE TYPE "public"."webhook_outbox_status" AS ENUM('pending', 'delivered', 'gave_up');--> statement-breakpoint
CREATE TYPE "public"."webhook_format" AS ENUM('standard', 'slack');--> statement-breakpoint
CREATE TABLE "alert_rule_webhooks" (
	"rule_id" integer NOT NULL,
	"webhook_id" integer NOT NULL,
	CONSTRAINT "alert_rule_webhooks_rule_id_webhook_id_pk" PRIMARY KEY("rule_id","webhook_id")
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" "alert_kind" NOT NULL,
	"severity" "alert_severity" NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"for_ms" integer NOT NULL,
	"resolve_after_ms" integer NOT NULL,
	"condition" jsonb NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"group_by" text[] DEFAULT '{}'::text[] NOT NULL,
	"baseline" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_states" (
	"rule_id" integer NOT NULL,
	"labels_key" text NOT NULL,
	"labels" jsonb NOT NULL,
	"status" "alert_status" NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"clear_since" timestamp with time zone,
	"fired_at" timestamp with time zone,
	"value" double precision,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"evaluated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "alert_states_rule_id_labels_key_pk" PRIMARY KEY("rule_id","labels_key")
);
--> statement-breakpoint
CREATE TABLE "alert_transitions" (
	"id" serial PRIMARY KEY NOT NULL,
	"rule_id" integer NOT NULL,
	"labels_key" text NOT NULL,
	"labels" jsonb NOT NULL,
	"from_status" "alert_status" NOT NULL,
	"to_status" "alert_status" NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"value" double precision,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" serial PRIMARY KEY NOT NULL,
	"outbox_id" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" double precision NOT NULL,
	"http_status" smallint,
	"ok" boolean NOT NULL,
	"response_snippet" text,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"format" "webhook_format" DEFAULT 'standard' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_outbox" (
	"id" serial PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"webhook_id" integer NOT NULL,
	"transition_id" integer,
	"event_type" text NOT NULL,
	"body" text NOT NULL,
	"status" "webhook_outbox_status" DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"delivered_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
ALTER TABLE "alert_rule_webhooks" ADD CONSTRAINT "alert_rule_webhooks_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_rule_webhooks" ADD CONSTRAINT "alert_rule_webhooks_webhook_id_webhook_endpoints_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_states" ADD CONSTRAINT "alert_states_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_transitions" ADD CONSTRAINT "alert_transitions_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_outbox_id_webhook_outbox_id_fk" FOREIGN KEY ("outbox_id") REFERENCES "public"."webhook_outbox"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD CONSTRAINT "webhook_outbox_webhook_id_webhook_endpoints_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_outbox" ADD CONSTRAINT "webhook_outbox_transition_id_alert_transitions_id_fk" FOREIGN KEY ("transition_id") REFERENCES "public"."alert_transitions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_rules_name_key" ON "alert_rules" USING btree ("name");--> statement-breakpoint
CREATE INDEX "alert_states_status_idx" ON "alert_states" USING btree ("status");--> statement-breakpoint
CREATE INDEX "alert_transitions_at_idx" ON "alert_transitions" USING btree ("at");--> statement-breakpoint
CREATE INDEX "alert_transitions_rule_at_idx" ON "alert_transitions" USING btree ("rule_id","at");--> statement-breakpoint
CREATE INDEX "webhook_attempts_outbox_idx" ON "webhook_attempts" USING btree ("outbox_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_endpoints_name_key" ON "webhook_endpoints" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_outbox_message_id_key" ON "webhook_outbox" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_outbox_transition_webhook_key" ON "webhook_outbox" USING btree ("transition_id","webhook_id");--> statement-breakpoint
CREATE INDEX "webhook_outbox_due_idx" ON "webhook_outbox" USING btree ("next_attempt_at") WHERE "webhook_outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_outbox_webhook_created_idx" ON "webhook_outbox" USING btree ("webhook_id","created_at");