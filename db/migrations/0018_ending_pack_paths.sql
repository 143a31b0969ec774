CREATE TABLE "ending_pack_paths" (
	"id" serial PRIMARY KEY NOT NULL,
	"target_name" text NOT NULL,
	"proxy_name" text NOT NULL,
	"profile" text NOT NULL,
	"profile_kind" "profile_kind",
	"gap_ms" double precision,
	CONSTRAINT "ending_pack_paths_key" UNIQUE NULLS NOT DISTINCT("target_name","proxy_name","profile","profile_kind","gap_ms")
);
--> statement-breakpoint
ALTER TABLE "ending_packs" ADD COLUMN "path_list" "bytea";