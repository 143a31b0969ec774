ALTER TABLE "ending_packs" ALTER COLUMN "path_list" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ending_packs" DROP COLUMN "paths";