ALTER TYPE "public"."webhook_format" ADD VALUE 'pagerduty';--> statement-breakpoint
ALTER TYPE "public"."webhook_format" ADD VALUE 'alertmanager';--> statement-breakpoint
CREATE TABLE "silences" (
	"id" serial PRIMARY KEY NOT NULL,
	"matchers" jsonb NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_by" text
);
--> statement-breakpoint
ALTER TABLE "alert_states" ADD COLUMN "silenced_by" integer;--> statement-breakpoint
ALTER TABLE "alert_states" ADD COLUMN "notified" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "alert_transitions" ADD COLUMN "silenced_by" integer;--> statement-breakpoint
CREATE INDEX "silences_ends_at_idx" ON "silences" USING btree ("ends_at");--> statement-breakpoint
ALTER TABLE "alert_states" ADD CONSTRAINT "alert_states_silenced_by_silences_id_fk" FOREIGN KEY ("silenced_by") REFERENCES "public"."silences"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_transitions" ADD CONSTRAINT "alert_transitions_silenced_by_silences_id_fk" FOREIGN KEY ("silenced_by") REFERENCES "public"."silences"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Alerts firing before silences existed were delivered: a resolve must still reach receivers.
UPDATE "alert_states" SET "notified" = true WHERE "status" = 'firing';
