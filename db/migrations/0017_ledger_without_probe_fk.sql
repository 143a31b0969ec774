ALTER TABLE "ingested_events" DROP CONSTRAINT "ingested_events_probe_id_probes_id_fk";
--> statement-breakpoint
-- The foreign key's per-row check cost about half of writing the ledger (issue 14):
-- storeBatch takes the check's KEY SHARE lock on the probe's row once per batch instead
-- (db/queries/ingest.ts), and this statement trigger does what the cascade did.
CREATE FUNCTION "ingested_events_probes_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "ingested_events" WHERE "probe_id" IN (SELECT "id" FROM "old_rows");
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "probes_ingested_events_deleted" AFTER DELETE ON "probes" REFERENCING OLD TABLE AS "old_rows" FOR EACH STATEMENT EXECUTE FUNCTION "ingested_events_probes_deleted"();
