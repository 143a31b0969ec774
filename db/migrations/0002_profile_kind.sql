CREATE TYPE "public"."profile_kind" AS ENUM('idle', 'heartbeat', 'echo', 'ladder');--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD COLUMN "profile_kind" "profile_kind";--> statement-breakpoint
ALTER TABLE "canary_sessions" ADD COLUMN "gap_ms" double precision;